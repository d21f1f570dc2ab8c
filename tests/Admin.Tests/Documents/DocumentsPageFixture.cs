using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests.Documents;

/// <summary>
/// One production-mode host (PostgreSQL, Redis, S3 on the test s3rver) configured with the Document Server
/// stand-in (JWT-signed), Debian's Chromium, and the accounts the Documents page tests sign in with.
/// </summary>
public sealed class DocumentsPageFixture : IAsyncLifetime
{
    /// <summary>Small enough to test the limit cheaply, large enough for every other file here.</summary>
    public const long MaxUploadBytes = 512 * 1024;

    /// <summary>Role editor in the demo tenant.</summary>
    public const string Editor = "erin";

    /// <summary>Role viewer in the demo tenant.</summary>
    public const string Viewer = "val";

    /// <summary>Role admin of another tenant, <see cref="OtherTenant"/>.</summary>
    public const string OtherTenantAdmin = "olga";

    public const string OtherTenant = "acme";

    private PostgresDatabase? database;
    private HttpClient? api;

    public HubApp App { get; private set; } = null!;

    public DocumentServerStandIn DocumentServer { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The demo tenant's documents API as an editor (bearer token).</summary>
    public HttpClient Api => api!;

    public async Task InitializeAsync()
    {
        DocumentServer = await DocumentServerStandIn.StartAsync($"docadmin-secret-{Guid.NewGuid():N}");
        database = await TestServers.CreatePostgresDatabaseAsync();
        var settings = TestServers.S3Settings();
        settings["ConnectionStrings:Postgres"] = database.ConnectionString;
        settings["Redis:Configuration"] = TestServers.Redis;
        settings["OnlyOffice:DocumentServerUrl"] = DocumentServer.Address.ToString();
        settings["OnlyOffice:JwtSecret"] = DocumentServer.Secret;
        settings["Documents:MaxUploadBytes"] = MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Documents:ForceSaveWaitSeconds"] = "10";
        settings["Login:RateLimit:PermitLimit"] = "1000"; // every test of the class signs in from 127.0.0.1 within a minute
        App = new HubApp(settings, realServer: true);
        await AddAccountsAsync();

        api = new HttpClient { BaseAddress = App.Address, Timeout = TimeSpan.FromSeconds(60) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            App.Services.GetRequiredService<TokenIssuer>().Issue("demo", "alice", ["editor"], TimeSpan.FromHours(1)));

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(Playwright);
    }

    private async Task AddAccountsAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        db.Tenants.Add(new TenantRow { Id = OtherTenant, Name = "Acme", CreatedAt = DateTimeOffset.UtcNow });
        var hasher = scope.ServiceProvider.GetRequiredService<IPasswordHasher<UserRow>>();
        foreach (var (name, role, tenant) in new[] { (Editor, "editor", "demo"), (Viewer, "viewer", "demo"), (OtherTenantAdmin, "admin", OtherTenant) })
        {
            var user = new UserRow { Id = Guid.NewGuid().ToString("N"), UserName = name, PasswordHash = "", Role = role, TenantId = tenant, CreatedAt = DateTimeOffset.UtcNow };
            user.PasswordHash = hasher.HashPassword(user, HubApp.AdminPassword);
            db.Users.Add(user);
        }

        await db.SaveChangesAsync();
    }

    /// <summary>Signs <paramref name="userName"/> in on a fresh browser profile, opens <paramref name="path"/> and waits for the interactive circuit.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> SignedInPageAsync(string userName, string path)
    {
        var (context, page, errors) = await Chromium.NewPageAsync(Browser, App.Address, acceptDownloads: true);
        await page.GotoAsync("/login?returnUrl=" + Uri.EscapeDataString(path));
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", HubApp.AdminPassword);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForPathAsync(path);
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined");
        await page.WaitForSelectorAsync("[data-live=true]");
        return (context, page, errors);
    }

    /// <summary>
    /// Chooses <paramref name="file"/> in the page's upload input, once Blazor's InputFile has attached its listener.
    /// A change event before that is dropped without a trace, and <c>data-live</c> can show before it: InputFile
    /// attaches in its own after-render step. Waits for <c>_blazorInputFileNextFileId</c>, the marker InputFile's
    /// script sets when it attaches. It is internal to ASP.NET Core, so if a version drops it this wait times out
    /// loudly; it never passes by mistake.
    /// </summary>
    public static async Task ChooseFileAsync(IPage page, FilePayload file)
    {
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=upload]')?._blazorInputFileNextFileId !== undefined");
        await page.SetInputFilesAsync("[data-testid=upload]", file);
    }

    /// <summary>Uploads through the API (as an editor); returns the document id.</summary>
    public async Task<string> UploadAsync(byte[] bytes, string filename)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", filename } };
        using var response = await Api.PostAsync("/api/tenants/demo/documents", form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    /// <summary>The ONLYOFFICE editor config the API hands out: the callback URL and key Document Server would use.</summary>
    public async Task<(string CallbackUrl, string Key)> SessionAsync(string id)
    {
        var config = (await Api.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}/editor-config"))!;
        return (config["editorConfig"]!["callbackUrl"]!.GetValue<string>(), config["document"]!["key"]!.GetValue<string>());
    }

    /// <summary>SHA-256 (hex) of the bytes the content API serves for <paramref name="version"/> (or the committed version).</summary>
    public async Task<(string Sha256, int Version)> ContentAsync(string id, int? version = null)
    {
        using var response = await Api.GetAsync($"/api/tenants/demo/documents/{id}/content" + (version is null ? "" : $"?version={version}"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return (Hex(bytes), int.Parse(response.Headers.GetValues("X-Document-Version").Single(), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Waits (bounded) until the API reports <paramref name="version"/> as current.</summary>
    public async Task WaitForVersionAsync(string id, int version)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var document = (await Api.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}"))!;
            if (document["version"]!.GetValue<int>() >= version)
            {
                Assert.Equal(version, document["version"]!.GetValue<int>());
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Document {id} did not reach version {version}.");
            await Task.Delay(50);
        }
    }

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public async Task DisposeAsync()
    {
        api?.Dispose();
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await App.DisposeAsync();
        await DocumentServer.DisposeAsync();
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }
}
