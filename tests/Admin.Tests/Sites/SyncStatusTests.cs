using System.Text.Json;
using Microsoft.Playwright;

namespace RealtimeSync.Admin.Tests.Sites;

/// <summary>The &lt;rs-sync-status&gt; indicator of realtime-sync.js in real Chromium, and axe-core on the demo page.</summary>
public sealed class SyncStatusTests(SiteHostFixture fixture) : IClassFixture<SiteHostFixture>
{
    private SiteHost Site => fixture.Host;

    private static async Task ExpectStateAsync(IPage page, string state, string label)
    {
        var indicator = page.Locator("rs-sync-status");
        await Assertions.Expect(indicator).ToHaveAttributeAsync("state", state, new() { Timeout = 30_000 });
        await Assertions.Expect(indicator.Locator("[part=label]")).ToContainTextAsync(label);
    }

    [Fact]
    public async Task The_indicator_shows_live_reconnecting_offline_and_error_with_the_last_sync_time_and_each_channel_in_its_details()
    {
        var (context, page, errors) = await Site.OpenAsync(SiteHost.StoresPage);
        await using var _ = context;
        await ExpectStateAsync(page, "live", "Live");
        await page.EvaluateAsync("() => { window.shown = []; document.addEventListener('rs-sync-status', e => shown.push(e.target.state)); }");
        var label = page.Locator("rs-sync-status [part=label]");
        Assert.Equal("status", await label.GetAttributeAsync("role"));
        Assert.Equal("polite", await label.GetAttributeAsync("aria-live"));
        Assert.Matches(@"last sync \d{1,2}:\d{2}:\d{2}", await page.Locator("rs-sync-status [part=time]").TextContentAsync());

        Site.CutSite();
        await ExpectStateAsync(page, "reconnecting", "Reconnecting…");

        await context.SetOfflineAsync(true);
        await ExpectStateAsync(page, "offline", "Offline");
        await context.SetOfflineAsync(false);
        await ExpectStateAsync(page, "reconnecting", "Reconnecting…");

        Site.RestoreSite();
        await ExpectStateAsync(page, "live", "Live");

        // A store the token may not read (another tenant's channel): the page shows the error and which channel has it.
        await page.EvaluateAsync("() => { window.other = sync.liveCollection({ tenant: 'acme', type: 'team', tokenFactory }); }");
        await ExpectStateAsync(page, "error", "Sync error: Not allowed");

        var toggle = page.Locator("rs-sync-status [part=toggle]");
        Assert.Equal("false", await toggle.GetAttributeAsync("aria-expanded"));
        await toggle.ClickAsync();
        Assert.Equal("true", await toggle.GetAttributeAsync("aria-expanded"));
        var channels = page.Locator("rs-sync-status [part=channel]");
        await Assertions.Expect(channels).ToHaveCountAsync(3);
        Assert.Equal("live", await page.Locator("rs-sync-status [part=channel][data-channel='demo/entities/team']").GetAttributeAsync("data-status"));
        Assert.Equal("live", await page.Locator("rs-sync-status [part=channel][data-channel='demo/entities/settings']").GetAttributeAsync("data-status"));
        var refused = page.Locator("rs-sync-status [part=channel][data-channel='acme/entities/team']");
        Assert.Equal("error", await refused.GetAttributeAsync("data-status"));
        Assert.Contains("Not allowed", await refused.TextContentAsync());
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("rs-sync-status [part=panel]")).ToBeHiddenAsync();

        await page.EvaluateAsync("() => other.dispose()");
        await ExpectStateAsync(page, "live", "Live");
        Assert.Equal(["reconnecting", "offline", "reconnecting", "live", "error", "live"], await page.EvaluateAsync<string[]>("() => shown.filter(s => s !== 'connecting')")); // the new store connects for a frame or not
        SiteHost.AssertNoErrors(errors.Where(e => !e.Contains("Not allowed", StringComparison.Ordinal)).ToList(), siteWasCut: true);
    }

    [Fact]
    public async Task Axe_finds_no_serious_or_critical_violation_on_the_demo_page_with_the_details_open_or_closed()
    {
        var (context, page, errors) = await Chromium.NewPageAsync(Site.Browser, Site.App.Address);
        await using var _ = context;
        await page.GotoAsync("/demo/");
        await page.WaitForSelectorAsync("body[data-ready=true] rs-sync-status[state=live]");
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = SiteHost.NodeModule("axe-core", "axe.min.js") });

        Assert.Empty(await SeriousViolationsAsync(page));
        await page.ClickAsync("rs-sync-status [part=toggle]");
        await Assertions.Expect(page.Locator("rs-sync-status [part=channel]")).ToHaveCountAsync(2);
        Assert.Empty(await SeriousViolationsAsync(page));
        SiteHost.AssertNoErrors(errors);
    }

    /// <summary>"rule: target" of every violation axe rates serious or critical.</summary>
    private static async Task<List<string>> SeriousViolationsAsync(IPage page)
    {
        var json = await page.EvaluateAsync<string>("""
            async () => {
              const result = await axe.run(document, { resultTypes: ['violations'] });
              return JSON.stringify(result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .flatMap(v => v.nodes.map(n => `${v.id} (${v.impact}): ${JSON.stringify(n.target)} ${n.failureSummary}`)));
            }
            """);
        return JsonSerializer.Deserialize<List<string>>(json)!;
    }
}
