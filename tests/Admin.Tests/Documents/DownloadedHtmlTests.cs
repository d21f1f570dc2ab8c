using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests.Documents;

/// <summary>
/// Stored XSS, in a real browser: an editor uploads an HTML file whose script writes into the hub origin's storage;
/// opening its links (the anonymous presigned one and the backoffice one) must download it, never run it. An
/// embedded host (local blob store), so the presigned link is on the hub's own origin.
/// </summary>
public sealed class DownloadedHtmlTests
{
    private const string Html = "<html><body><h1 id=x>report</h1><script>localStorage.setItem('xss', 'ran on ' + location.origin)</script></body></html>";

    [Fact]
    public async Task A_downloaded_html_file_does_not_execute_on_the_hub_origin()
    {
        await using var app = new HubApp(realServer: true);
        using var http = new HttpClient { BaseAddress = app.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "mallory", ["editor"], TimeSpan.FromMinutes(10)));
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(Html));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/html");
        form.Add(file, "file", "report.html");
        using var uploaded = await http.PostAsync("/api/tenants/demo/documents", form);
        Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        var id = (await uploaded.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        var link = (await http.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}/download-url"))!["url"]!.GetValue<string>();
        Assert.StartsWith("/blobs/", new Uri(app.Address, link).AbsolutePath);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var (context, page, _) = await Chromium.NewPageAsync(browser, app.Address, acceptDownloads: true);
        await using var __ = context;
        await page.GotoAsync("/login");
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", HubApp.AdminPassword);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForPathAsync("/");

        foreach (var url in new[] { new Uri(app.Address, link).ToString(), $"/backoffice/documents/{id}/versions/1/content" })
        {
            var download = page.WaitForDownloadAsync();
            try
            {
                await page.GotoAsync(url);
            }
            catch (PlaywrightException)
            {
                // Chromium aborts a navigation that turns into a download; that is the outcome wanted here.
            }

            Assert.NotNull(await download);
        }

        await page.GotoAsync("/login");
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('xss')"));
    }
}
