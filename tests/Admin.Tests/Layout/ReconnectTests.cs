using Microsoft.Playwright;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests.Layout;

/// <summary>The stock blazor.web.js of the .NET 10 SDK: its reconnect UI when the circuit's connection drops.</summary>
public sealed class ReconnectTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_cut_connection_shows_the_reconnect_ui_and_the_page_works_again_once_it_is_back()
    {
        var (context, page, _) = await fixture.NewPageAsync();
        await using var _1 = context;

        await page.GotoAsync("/login?returnUrl=%2F");
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", HubApp.AdminPassword);
        await page.ClickAsync("[data-testid=sign-in]");
        var toggle = page.Locator("[data-testid=theme-toggle]");
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-live", "true");
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-dark", "false");
        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-dark", "true");   // the circuit answers

        // Offline: the circuit's WebSocket drops (Chromium fails it) and every reconnection attempt fails.
        await context.SetOfflineAsync(true);
        // The stock UI: a host element with this id whose open shadow root holds the overlay and dialog.
        var modal = page.Locator("#components-reconnect-modal .components-reconnect-dialog");
        await Assertions.Expect(modal).ToBeVisibleAsync(new() { Timeout = 40_000 });

        await context.SetOfflineAsync(false);
        await Assertions.Expect(modal).ToBeHiddenAsync(new() { Timeout = 30_000 });
        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-dark", "false");  // the same circuit answers again
    }
}
