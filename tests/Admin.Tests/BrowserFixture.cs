using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests;

/// <summary>
/// One production-mode host (PostgreSQL, Redis, S3 on the real test servers) on a real port, and
/// Debian's Chromium driven by Playwright. Playwright's own browser download is never used.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private PostgresDatabase? database;

    public HubApp App { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string NodeId { get; } = $"admin-test-{Guid.NewGuid().ToString("N")[..6]}";

    public async Task InitializeAsync()
    {
        database = await TestServers.CreatePostgresDatabaseAsync();
        var settings = TestServers.S3Settings();
        settings["ConnectionStrings:Postgres"] = database.ConnectionString;
        settings["Redis:Configuration"] = TestServers.Redis;
        settings["Redis:ChannelPrefix"] = $"adm{Guid.NewGuid():N}"[..12]; // each fixture's config store, locks and channels apart
        settings["Node:Id"] = NodeId;
        settings["Login:RateLimit:PermitLimit"] = "1000"; // every test of the class signs in from 127.0.0.1 within a minute
        settings["Demo:Enabled"] = "true"; // a production-mode node: the /demo/ site's anonymous token is opt-in
        App = new HubApp(settings, realServer: true);
        await AddUserAsync(SecondEditor, "editor");
        await AddUserAsync(Viewer, "viewer");
        await AddUserAsync(TenantAdmin, "admin");

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(Playwright);
    }

    /// <summary>A second backoffice account (role editor, password <see cref="HubApp.AdminPassword"/>).</summary>
    public const string SecondEditor = "bea";

    /// <summary>A read-only account (role viewer, password <see cref="HubApp.AdminPassword"/>).</summary>
    public const string Viewer = "vic";

    /// <summary>A second admin of the tenant, not named in <c>Admin:Operators</c> (the seeded account is the operator).</summary>
    public const string TenantAdmin = "otto";

    private async Task AddUserAsync(string userName, string role)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var user = new UserRow { Id = Guid.NewGuid().ToString("N"), UserName = userName, PasswordHash = "", Role = role, TenantId = "demo", CreatedAt = DateTimeOffset.UtcNow };
        user.PasswordHash = scope.ServiceProvider.GetRequiredService<IPasswordHasher<UserRow>>().HashPassword(user, HubApp.AdminPassword);
        db.Users.Add(user);
        await db.SaveChangesAsync();
    }

    /// <summary>Signs <paramref name="userName"/> in on a fresh page and waits for the interactive circuit.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> SignedInPageAsync(string userName, string path)
    {
        var (context, page, errors) = await NewPageAsync();
        await page.GotoAsync("/login?returnUrl=" + Uri.EscapeDataString(path));
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", HubApp.AdminPassword);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForPathAsync(path);
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined");
        if (path.StartsWith("/entities/", StringComparison.Ordinal))
        {
            await page.WaitForSelectorAsync("[data-testid=editor][data-live=true], [data-testid=entity-grid]");
        }

        return (context, page, errors);
    }

    /// <summary>A fresh browser profile (no cookies) whose console errors are collected.</summary>
    public Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> NewPageAsync() => Chromium.NewPageAsync(Browser, App.Address);

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await App.DisposeAsync();
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }
}
