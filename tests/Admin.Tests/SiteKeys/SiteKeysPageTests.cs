using System.Net;
using Microsoft.Playwright;

namespace RealtimeSync.Admin.Tests.SiteKeys;

/// <summary>The Site keys page in a real browser, and what the keys it shows can do against the real API.</summary>
public sealed class SiteKeysPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private async Task<HttpStatusCode> MintAsync(string key)
    {
        using var http = new HttpClient { BaseAddress = fixture.App.Address, Timeout = TimeSpan.FromSeconds(15) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/site-tokens");
        request.Headers.Add("X-Api-Key", key);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static ILocator Status(IPage page, string prefix) => page.Locator($"[data-testid=key-status][data-prefix='{prefix}']");

    [Fact]
    public async Task An_admin_creates_a_key_sees_its_secret_once_and_revokes_it_after_confirming()
    {
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", "/site-keys");
        await using var _ = context;
        await page.WaitForSelectorAsync("[data-testid=site-keys][data-live=true]");
        var entry = page.Locator("[data-testid=nav] a", new() { HasText = "Site keys" });
        Assert.EndsWith("site-keys", await entry.GetAttributeAsync("href"));

        await page.FillAsync("[data-testid=new-key-name]", "shop.example.com");
        await page.ClickAsync("[data-testid=create-key]");

        var secretBox = page.Locator("[data-testid=new-key-secret]");
        await secretBox.WaitForAsync();
        var secret = await secretBox.InputValueAsync();
        Assert.Matches("^rsk_[A-Za-z0-9_-]{43}$", secret);
        var prefix = secret[..12];
        await page.WaitForSelectorAsync($"[data-testid=key-status][data-prefix='{prefix}'][data-state=active]");
        Assert.Equal("shop.example.com", await page.InnerTextAsync($"[data-testid=key-name][data-prefix='{prefix}']"));
        Assert.Equal("never", await page.InnerTextAsync($"[data-testid=key-last-used][data-prefix='{prefix}']"));
        Assert.Equal(HttpStatusCode.OK, await MintAsync(secret)); // the key shown works

        // Shown once: gone when dismissed, and not in the page after a reload (only the prefix is).
        await page.ClickAsync("[data-testid=dismiss-secret]");
        await secretBox.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("[data-testid=site-keys][data-live=true]");
        await Status(page, prefix).WaitForAsync();
        Assert.DoesNotContain(secret[12..], await page.ContentAsync());
        Assert.NotEqual("never", await page.InnerTextAsync($"[data-testid=key-last-used][data-prefix='{prefix}']"));

        // Cancelling the confirmation keeps the key.
        var revoke = page.Locator($"[data-testid=revoke][data-prefix='{prefix}']");
        await revoke.ClickAsync();
        await page.Locator(".mud-dialog button", new() { HasText = "Cancel" }).ClickAsync();
        await page.Locator(".mud-dialog").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal("active", await Status(page, prefix).GetAttributeAsync("data-state"));
        Assert.Equal(HttpStatusCode.OK, await MintAsync(secret));

        await revoke.ClickAsync();
        Assert.Contains("shop.example.com", await page.Locator(".mud-dialog").InnerTextAsync());
        await page.Locator(".mud-dialog button", new() { HasText = "Revoke" }).ClickAsync();

        await page.WaitForSelectorAsync($"[data-testid=key-status][data-prefix='{prefix}'][data-state=revoked]");
        Assert.Contains("admin", await Status(page, prefix).InnerTextAsync());
        Assert.Equal(0, await revoke.CountAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, await MintAsync(secret));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_blank_name_is_refused_on_the_page()
    {
        var (context, page, _) = await fixture.SignedInPageAsync("admin", "/site-keys");
        await using var _1 = context;
        await page.WaitForSelectorAsync("[data-testid=site-keys][data-live=true]");
        var before = await page.Locator("[data-testid=key-status]").CountAsync();

        await page.FillAsync("[data-testid=new-key-name]", "   ");
        await page.ClickAsync("[data-testid=create-key]");

        await page.WaitForSelectorAsync("[data-testid=name-error]");
        Assert.Equal(0, await page.Locator("[data-testid=new-key-secret]").CountAsync());
        Assert.Equal(before, await page.Locator("[data-testid=key-status]").CountAsync());
    }

    [Theory]
    [InlineData(BrowserFixture.SecondEditor)]
    [InlineData(BrowserFixture.Viewer)]
    public async Task An_editor_or_viewer_has_no_site_keys_entry_and_is_turned_away_from_the_page(string userName)
    {
        var (context, page, _) = await fixture.SignedInPageAsync(userName, "/");
        await using var _1 = context;
        var sidebar = page.Locator("[data-testid=nav]");
        await sidebar.GetByText("Dashboard", new() { Exact = true }).WaitForAsync();
        Assert.Equal(0, await sidebar.GetByText("Site keys", new() { Exact = true }).CountAsync());

        await page.GotoAsync("/site-keys");

        await page.WaitForPathAsync("/login");
        Assert.Equal(0, await page.Locator("[data-testid=site-keys]").CountAsync());
        Assert.Equal(0, await page.Locator("[data-testid=create-key]").CountAsync());
    }
}
