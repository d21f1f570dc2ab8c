using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests.Documents;

/// <summary>
/// The document page while storage is down: the host (SQLite) reaches the test s3rver through a TCP proxy that the
/// test cuts and restores, with the Document Server stand-in sending the save.
/// </summary>
public sealed class DocumentsOutagePageTests : IAsyncLifetime
{
    private DocumentServerStandIn documentServer = null!;
    private SwitchableProxy s3 = null!;
    private HubApp app = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        documentServer = await DocumentServerStandIn.StartAsync($"outage-secret-{Guid.NewGuid():N}");
        s3 = new SwitchableProxy(new Uri(TestServers.S3Url));
        var settings = TestServers.S3Settings();
        settings["Storage:S3:ServiceUrl"] = s3.Address.ToString().TrimEnd('/');
        settings["OnlyOffice:DocumentServerUrl"] = documentServer.Address.ToString();
        settings["OnlyOffice:JwtSecret"] = documentServer.Secret;
        settings["Documents:UploadRetryDelayMilliseconds"] = "50";
        settings["Documents:MaxJobRetryDelaySeconds"] = "1";
        settings["Documents:BreakSeconds"] = "1";
        app = new HubApp(settings, realServer: true);
        playwright = await Playwright.CreateAsync();
        browser = await Chromium.LaunchAsync(playwright);
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await app.DisposeAsync();
        await s3.DisposeAsync();
        await documentServer.DisposeAsync();
    }

    [Fact]
    public async Task With_storage_down_the_page_shows_retrying_and_the_pending_job_then_saved_v2_when_storage_returns()
    {
        using var http = new HttpClient { BaseAddress = app.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "alice", ["editor"], TimeSpan.FromMinutes(10)));
        using var form = new MultipartFormDataContent { { new ByteArrayContent(RandomNumberGenerator.GetBytes(20_000)), "file", "budget.xlsx" } };
        using var uploaded = await http.PostAsync("/api/tenants/demo/documents", form);
        Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        var id = (await uploaded.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        var config = (await http.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}/editor-config"))!;
        var callback = config["editorConfig"]!["callbackUrl"]!.GetValue<string>();
        var key = config["document"]!["key"]!.GetValue<string>();

        var (context, page, _) = await Chromium.NewPageAsync(browser, app.Address);
        await using var closing = context;
        await page.GotoAsync("/login?returnUrl=" + Uri.EscapeDataString($"/documents/{id}"));
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", HubApp.AdminPassword);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForSelectorAsync("[data-testid=document][data-live=true]");
        await Assertions.Expect(page.Locator("[data-testid=no-jobs]")).ToBeVisibleAsync();

        s3.SwitchTo(new Uri($"http://127.0.0.1:{TestServers.FreePort()}/")); // nothing listens there
        var edited = RandomNumberGenerator.GetBytes(24_000);
        var answer = await documentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, documentServer.Serve(edited), "2026-11-21T23:00:00Z"), Signing.BodyToken);
        Assert.Equal(200, answer.Status); // spooled: acknowledged although storage is down

        var status = page.Locator("[data-testid=status]");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "retrying");
        await Assertions.Expect(status).ToContainTextAsync("retrying");
        var job = page.Locator("[data-testid=job][data-state=pending]");
        await Assertions.Expect(job).ToHaveCountAsync(1, new LocatorAssertionsToHaveCountOptions { Timeout = 30_000 });
        await Assertions.Expect(job.Locator("[data-testid=job-error]")).Not.ToBeEmptyAsync(new LocatorAssertionsToBeEmptyOptions { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=diag-error]")).ToContainTextAsync("storage unreachable");
        Assert.Equal("1", await page.TextContentAsync("[data-testid=current-version]"));

        s3.SwitchTo(new Uri(TestServers.S3Url));

        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "saved", new LocatorAssertionsToHaveAttributeOptions { Timeout = 40_000 });
        await Assertions.Expect(page.Locator("[data-testid=current-version]")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("[data-testid=no-jobs]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=diag-sha256]")).ToHaveTextAsync(Convert.ToHexStringLower(SHA256.HashData(edited)));
        Assert.Equal("true", await page.GetAttributeAsync("[data-testid=diag-matches]", "data-matches"));
        var history = (await status.GetAttributeAsync("data-history"))!.Split(' ');
        Assert.Equal("saving", history[0]);
        Assert.Contains("retrying", history);
        Assert.Equal("saved", history[^1]);
    }
}
