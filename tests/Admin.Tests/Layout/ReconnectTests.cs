using System.Text.RegularExpressions;
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

        // Every circuit WebSocket goes through this route, so the test can cut it and refuse new ones for a while.
        IWebSocketRoute? circuit = null;
        var refuse = false;
        await context.RouteWebSocketAsync(new Regex("/_blazor"), ws =>
        {
            if (refuse)
            {
                _ = ws.CloseAsync();
                return;
            }

            ws.ConnectToServer();
            circuit = ws;
        });

        await page.GotoAsync("/login?returnUrl=%2F");
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", HubApp.AdminPassword);
        await page.ClickAsync("[data-testid=sign-in]");
        var toggle = page.Locator("[data-testid=theme-toggle]");
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-dark", "false");
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined");
        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-dark", "true");   // the circuit answers

        refuse = true;
        await circuit!.CloseAsync();
        var modal = page.Locator("#components-reconnect-modal");
        await Assertions.Expect(modal).ToBeVisibleAsync(new() { Timeout = 10_000 });

        refuse = false;
        await Assertions.Expect(modal).ToBeHiddenAsync(new() { Timeout = 30_000 });
        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-dark", "false");  // the same circuit answers again
    }
}
