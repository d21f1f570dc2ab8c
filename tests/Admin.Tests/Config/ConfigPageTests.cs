using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests.Config;

/// <summary>The Configuration page and the fallback banner in a real browser.</summary>
public sealed class ConfigPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static ILocator Cell(IPage page, string testId, string key) => page.Locator($"[data-testid={testId}][data-key='{key}']");

    [Fact]
    public async Task An_admin_edits_a_key_with_validation_sees_its_source_version_and_history_and_verifies_the_store()
    {
        const string key = "Realtime:History:MaxAgeSeconds";
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", "/config");
        await using var _ = context;
        await page.WaitForSelectorAsync("[data-testid=config][data-live=true]");
        Assert.EndsWith("config", await page.Locator(".rz-sidebar a", new() { HasText = "Configuration" }).GetAttributeAsync("href"));
        Assert.Equal("redis-first", await page.InnerTextAsync("[data-testid=config-mode]"));
        Assert.Equal("file", await Cell(page, "config-source", key).GetAttributeAsync("data-source")); // a fresh Redis: not migrated yet
        Assert.Equal("(empty)", await Cell(page, "config-value", "OnlyOffice:JwtSecret").InnerTextAsync()); // a secret shows only whether it is set
        Assert.Equal(0, await page.Locator("[data-testid=config-banner]").CountAsync());

        await Cell(page, "config-edit", key).ClickAsync();
        var input = page.Locator("[data-testid=config-input]");
        await input.FillAsync("soon");
        await page.ClickAsync("[data-testid=config-save]");
        Assert.Contains("must be a whole number", await page.Locator("[data-testid=config-error]").InnerTextAsync());
        await input.FillAsync("0");
        await page.ClickAsync("[data-testid=config-save]");
        await page.Locator("[data-testid=config-error]", new() { HasText = "from 1 to" }).WaitForAsync();
        Assert.Equal("600", fixture.App.Services.GetRequiredService<IConfiguration>()[key]); // nothing applied

        await input.FillAsync("900");
        await page.ClickAsync("[data-testid=config-save]");
        await page.Locator("[data-testid=config-editor]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.Locator($"[data-testid=config-value][data-key='{key}']", new() { HasText = "900" }).WaitForAsync();
        Assert.Equal("redis", await Cell(page, "config-source", key).GetAttributeAsync("data-source"));
        Assert.Equal("1", await Cell(page, "config-version", key).InnerTextAsync());
        Assert.Equal("900", fixture.App.Services.GetRequiredService<IConfiguration>()[key]); // applied at once
        var row = page.Locator("[data-testid=config-history] tr", new() { HasText = key });
        await row.First.WaitForAsync();
        Assert.Contains("admin", await row.First.InnerTextAsync());
        Assert.Contains("900", await row.First.InnerTextAsync());

        // Verify: the other keys are still only in the files, not in Redis.
        await page.ClickAsync("[data-testid=config-verify]");
        var verdict = page.Locator("[data-testid=config-verify-result]");
        await verdict.WaitForAsync();
        Assert.Equal("false", await verdict.GetAttributeAsync("data-ok"));
        Assert.Contains("Realtime:History:MaxCount: missing in redis", await verdict.InnerTextAsync());
        Assert.DoesNotContain($"{key}:", await verdict.InnerTextAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task With_redis_unreachable_every_page_shows_the_fallback_banner_and_a_change_is_refused()
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
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");

        var banner = page.Locator("[data-testid=config-banner]");
        await banner.WaitForAsync();
        Assert.Contains("Configuration store degraded", await banner.InnerTextAsync());

        await page.Locator(".rz-sidebar a", new() { HasText = "Configuration" }).ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=config][data-live=true]");
        await banner.WaitForAsync();
        Assert.Equal("file", await Cell(page, "config-source", "Realtime:History:MaxCount").GetAttributeAsync("data-source"));
        await Cell(page, "config-edit", "Realtime:History:MaxCount").ClickAsync();
        await page.Locator("[data-testid=config-input]").FillAsync("50");
        await page.ClickAsync("[data-testid=config-save]");
        Assert.Contains("Writes are refused until Redis answers", await page.Locator("[data-testid=config-error]").InnerTextAsync());
        Assert.Equal("1000", degraded.Services.GetRequiredService<IConfiguration>()["Realtime:History:MaxCount"]);
    }
}
