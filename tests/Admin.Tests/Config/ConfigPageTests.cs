using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests.Config;

/// <summary>The Configuration page and the fallback banner in a real browser.</summary>
public sealed class ConfigPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static ILocator Cell(IPage page, string testId, string key) => page.Locator($"[data-testid={testId}][data-key='{key}']");

    // Editing is the operators' (Roles.CanOperate). No operator account can be stored before issue 12's migration,
    // so an operator's edit is covered by the bUnit tests (Admin.Components.Tests/Config) until then.
    [Fact]
    public async Task The_operator_reads_every_key_with_its_source_verifies_the_store_and_may_edit()
    {
        const string key = "Realtime:History:MaxAgeSeconds";
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", "/config");
        await using var _ = context;
        await page.WaitForSelectorAsync("[data-testid=config][data-live=true]");
        Assert.EndsWith("config", await page.Locator("[data-testid=nav] a", new() { HasText = "Configuration" }).GetAttributeAsync("href"));
        Assert.Equal("redis-first", await page.InnerTextAsync("[data-testid=config-mode]"));
        Assert.Equal("file", await Cell(page, "config-source", key).GetAttributeAsync("data-source")); // a fresh Redis: not migrated yet
        Assert.Equal("600", await Cell(page, "config-value", key).InnerTextAsync());
        Assert.Equal("(empty)", await Cell(page, "config-value", "OnlyOffice:JwtSecret").InnerTextAsync()); // a secret shows only whether it is set
        Assert.Equal(0, await page.Locator("[data-testid=config-banner]").CountAsync());
        await page.Locator("[data-testid=config-edit]").First.WaitForAsync(); // the seeded account is the operator (Admin:Operators)
        Assert.Equal(0, await page.Locator("[data-testid=config-read-only]").CountAsync());

        // Verify: the keys are still only in the files, not in Redis.
        await page.ClickAsync("[data-testid=config-verify]");
        var verdict = page.Locator("[data-testid=config-verify-result]");
        await verdict.WaitForAsync();
        Assert.Equal("false", await verdict.GetAttributeAsync("data-ok"));
        Assert.Contains("Realtime:History:MaxCount: missing in redis", await verdict.InnerTextAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_tenant_admin_who_is_not_an_operator_neither_sees_nor_opens_the_configuration()
    {
        var (context, page, _) = await fixture.SignedInPageAsync(BrowserFixture.TenantAdmin, "/");
        await using var _ = context;
        await page.WaitForSelectorAsync("[data-testid=nav] a");
        Assert.Equal(0, await page.Locator("[data-testid=nav] a", new() { HasText = "Configuration" }).CountAsync());

        await page.GotoAsync("/config");
        await page.WaitForPathAsync("/login");
        Assert.Equal(0, await page.Locator("[data-testid=config-grid]").CountAsync());
    }

    [Fact]
    public async Task With_redis_unreachable_every_page_shows_the_fallback_banner_and_the_values_come_from_the_files()
    {
        await using var degraded = new HubApp(new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = $"127.0.0.1:{TestServers.FreePort()},connectTimeout=300,syncTimeout=500",
        }, realServer: true);
        var (context, page, _) = await Chromium.NewPageAsync(fixture.Browser, degraded.Address);
        await using var closing = context;
        await page.GotoAsync("/login?returnUrl=%2F");
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", HubApp.AdminPassword);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForPathAsync("/");

        var banner = page.Locator("[data-testid=config-banner]");
        await banner.WaitForAsync();
        Assert.Contains("Configuration store degraded", await banner.InnerTextAsync());

        await page.Locator("[data-testid=nav] a", new() { HasText = "Configuration" }).ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=config][data-live=true]");
        await banner.WaitForAsync();
        Assert.Equal("file", await Cell(page, "config-source", "Realtime:History:MaxCount").GetAttributeAsync("data-source"));
        Assert.Equal("1000", degraded.Services.GetRequiredService<IConfiguration>()["Realtime:History:MaxCount"]);
    }
}
