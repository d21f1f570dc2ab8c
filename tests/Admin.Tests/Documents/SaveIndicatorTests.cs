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
/// The end user's view: the document demo page with <c>&lt;rs-save-indicator&gt;</c> in real Chromium, while the
/// Document Server stand-in drives a session through the real host (SQLite, S3 on the test s3rver).
/// </summary>
public sealed class SaveIndicatorTests : IAsyncLifetime
{
    private DocumentServerStandIn documentServer = null!;
    private HubApp app = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        documentServer = await DocumentServerStandIn.StartAsync($"indicator-secret-{Guid.NewGuid():N}");
        var settings = TestServers.S3Settings();
        settings["OnlyOffice:DocumentServerUrl"] = documentServer.Address.ToString();
        settings["OnlyOffice:JwtSecret"] = documentServer.Secret;
        app = new HubApp(settings, realServer: true);
        playwright = await Playwright.CreateAsync();
        browser = await Chromium.LaunchAsync(playwright);
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await app.DisposeAsync();
        await documentServer.DisposeAsync();
    }

    [Fact]
    public async Task The_indicator_shows_editing_then_saving_then_saved_with_the_new_version()
    {
        using var http = new HttpClient { BaseAddress = app.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "alice", ["editor"], TimeSpan.FromMinutes(10)));
        using var form = new MultipartFormDataContent { { new ByteArrayContent(RandomNumberGenerator.GetBytes(15_000)), "file", "minutes.docx" } };
        using var uploaded = await http.PostAsync("/api/tenants/demo/documents", form);
        Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        var id = (await uploaded.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        var config = (await http.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}/editor-config"))!;
        var callback = config["editorConfig"]!["callbackUrl"]!.GetValue<string>();
        var key = config["document"]!["key"]!.GetValue<string>();

        var (context, page, errors) = await Chromium.NewPageAsync(browser, app.Address);
        await using var _ = context;
        // Documents are not public (the anonymous demo token cannot read them): the page uses a viewer's token.
        var viewerToken = app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "vic", ["viewer"], TimeSpan.FromMinutes(10));
        await page.AddInitScriptAsync($"sessionStorage.setItem('rs.token', '{viewerToken}')");
        await page.GotoAsync($"/demo/document.html?id={id}");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.Equal("minutes.docx", await page.TextContentAsync("[data-testid=filename]"));
        var indicator = page.Locator("rs-save-indicator");
        await Assertions.Expect(indicator).ToHaveAttributeAsync("subscribed", "");
        await Assertions.Expect(indicator).ToHaveAttributeAsync("state", "idle");
        await Assertions.Expect(indicator).ToHaveAttributeAsync("version", "1");

        await documentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 1), Signing.BodyToken);
        await Assertions.Expect(indicator).ToHaveAttributeAsync("state", "editing");
        await Assertions.Expect(indicator).ToContainTextAsync("Editing");

        var answer = await documentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, documentServer.Serve(RandomNumberGenerator.GetBytes(18_000)), "2026-11-21T20:00:00Z"), Signing.BodyToken);
        Assert.Equal(200, answer.Status);
        await Assertions.Expect(indicator).ToHaveAttributeAsync("state", "saved");
        await Assertions.Expect(indicator).ToHaveAttributeAsync("version", "2");
        await Assertions.Expect(indicator).ToContainTextAsync("Saved to storage · v2");
        var history = await indicator.EvaluateAsync<string[]>("element => element.history");
        Assert.Equal(["editing", "saving", "saved"], history);
        Assert.Empty(errors);
    }
}
