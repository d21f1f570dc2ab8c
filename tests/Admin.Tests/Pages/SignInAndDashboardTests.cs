using Microsoft.Playwright;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests.Pages;

public sealed class SignInAndDashboardTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static async Task SignInAsync(IPage page, string password)
    {
        await page.GotoAsync("/");
        await page.WaitForPathAsync("/login");
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", password);
        await page.ClickAsync("[data-testid=sign-in]");
    }

    [Fact]
    public async Task Admin_signs_in_with_the_seeded_password_and_sees_every_adapter_healthy()
    {
        var (context, page, errors) = await fixture.NewPageAsync();
        await using var _ = context;

        await SignInAsync(page, HubApp.AdminPassword);

        await page.WaitForPathAsync("/");
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined");
        Assert.Equal(fixture.NodeId, await page.InnerTextAsync("[data-testid=node-id]"));
        Assert.Equal("production", await page.InnerTextAsync("[data-testid=node-mode]"));
        foreach (var adapter in new[] { "database", "redis", "blobs" })
        {
            await page.WaitForSelectorAsync($"[data-testid=adapter-{adapter}][data-state=Healthy]");
        }

        Assert.Contains("admin", await page.InnerTextAsync("[data-testid=current-user]"));
        await page.WaitForSelectorAsync($"[data-testid=cluster-node-{fixture.NodeId}][data-lost=false]");
        await page.WaitForSelectorAsync($"[data-testid=cluster-backplane-{fixture.NodeId}][data-state=connected]");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_dashboard_refreshes_health_live_over_the_circuit()
    {
        var (context, page, errors) = await fixture.NewPageAsync();
        await using var _ = context;
        await SignInAsync(page, HubApp.AdminPassword);
        await page.WaitForPathAsync("/");

        var first = await page.InnerTextAsync("[data-testid=checked-at]");
        // The page refreshes itself every 5 s without a reload; only a live circuit can change this text.
        await page.WaitForFunctionAsync(
            "previous => document.querySelector('[data-testid=checked-at]')?.textContent !== previous",
            first,
            new PageWaitForFunctionOptions { Timeout = 15_000 });
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_no_session_is_created()
    {
        var (context, page, _) = await fixture.NewPageAsync();
        await using var __ = context;

        await SignInAsync(page, "not-the-password");

        await page.WaitForSelectorAsync("[data-testid=login-error]");
        Assert.Equal("Wrong user name or password.", await page.InnerTextAsync("[data-testid=login-error]"));
        Assert.Contains("/login", page.Url);
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "rs.admin");

        await page.GotoAsync("/");
        await page.WaitForPathAsync("/login");
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        var (context, page, _) = await fixture.NewPageAsync();
        await using var __ = context;
        await SignInAsync(page, HubApp.AdminPassword);
        await page.WaitForSelectorAsync("[data-testid=node-id]");

        await page.ClickAsync("[data-testid=logout]");

        await page.WaitForPathAsync("/login");
        await page.GotoAsync("/");
        await page.WaitForPathAsync("/login");
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "rs.admin");
    }
}
