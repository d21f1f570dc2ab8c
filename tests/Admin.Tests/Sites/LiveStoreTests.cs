using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Hub.Realtime;

namespace RealtimeSync.Admin.Tests.Sites;

/// <summary>
/// liveCollection / liveEntity of realtime-sync.js in real Chromium against the real host, with a site token:
/// the demo page and a bare site page follow the backoffice's edits, recover what they missed while cut off and
/// never let an older version overwrite a newer one.
/// </summary>
public sealed class LiveStoreTests(SiteHostFixture fixture) : IClassFixture<SiteHostFixture>
{
    private SiteHost Site => fixture.Host;

    [Fact]
    public async Task The_demo_page_shows_the_backoffices_edits_of_team_and_settings_within_a_second_and_a_delete_removes_the_row()
    {
        var (context, page, errors) = await Chromium.NewPageAsync(Site.Browser, Site.App.Address);
        await using var _ = context;
        await page.GotoAsync("/demo/");
        await page.WaitForSelectorAsync("body[data-ready=true] [data-testid=connection-state][state=live]");
        var server = await Site.ServerListAsync("team", "name");
        Assert.Equal(server.Count, await page.Locator(".grid .card").CountAsync());

        var clock = Stopwatch.StartNew();
        await Site.PatchAsync("settings", "default", new { tagline = "Edited in the backoffice" });
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=tagline]').textContent === 'Edited in the backoffice'",
            null, new PageWaitForFunctionOptions { Timeout = 1000 });
        Assert.InRange(clock.ElapsedMilliseconds, 0, 1000);

        clock.Restart();
        await Site.PatchAsync("team", "ada", new { role = "Countess of Computing" });
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=team-ada-role]')?.textContent === 'Countess of Computing'",
            null, new PageWaitForFunctionOptions { Timeout = 1000 });
        Assert.InRange(clock.ElapsedMilliseconds, 0, 1000);

        clock.Restart();
        await Site.CreateAsync("team", "zoe", new { name = "Zoe Newcomer", role = "Intern", order = 4, active = true });
        await page.WaitForSelectorAsync("[data-testid=team-zoe-name]", new PageWaitForSelectorOptions { Timeout = 1000 });
        Assert.Equal("Zoe Newcomer", await page.TextContentAsync("[data-testid=team-zoe-name]"));

        clock.Restart();
        await Site.DeleteAsync("team", "alan");
        await page.WaitForSelectorAsync("[data-testid=team-alan]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Detached, Timeout = 1000 });
        Assert.InRange(clock.ElapsedMilliseconds, 0, 1000);
        Assert.Equal(server.Count, await page.Locator(".grid .card").CountAsync()); // one in, one out
        Assert.Contains("Countess of Computing", await page.Locator(".grid .card .role").AllTextContentsAsync());
        SiteHost.AssertNoErrors(errors);
    }

    [Fact]
    public async Task Twenty_edits_while_the_connection_is_cut_are_each_applied_once_after_the_reconnect_and_the_store_goes_recovering_then_live()
    {
        var (context, page, errors) = await Site.OpenAsync(SiteHost.StoresPage);
        await using var _ = context;
        await SiteHost.WaitStatusAsync(page, "team", "live");
        await page.EvaluateAsync("() => { window.statuses = [team.status]; window.seen = []; }");

        Site.CutSite();
        await SiteHost.WaitStatusAsync(page, "team", "recovering");
        for (var i = 1; i <= 14; i++)
        {
            await Site.PatchAsync("team", "grace", new { role = $"Role {i}" });
        }

        await Site.CreateAsync("team", "cut-1", new { name = "Made while cut", role = "New" });
        await Site.PatchAsync("team", "cut-1", new { role = "Changed while cut" });
        await Site.CreateAsync("team", "cut-2", new { name = "Made and gone", role = "Temp" });
        await Site.DeleteAsync("team", "cut-2");
        await Site.PatchAsync("team", "ada", new { name = "Ada King" });
        await Site.PatchAsync("settings", "default", new { tagline = "Changed while cut" });
        Assert.Equal("recovering", await page.EvaluateAsync<string>("() => team.status"));

        Site.RestoreSite();
        await SiteHost.WaitStatusAsync(page, "team", "live", 30_000);
        await page.WaitForFunctionAsync("() => settings.getSnapshot()?.fields.tagline === 'Changed while cut'");

        Assert.Equal(await Site.ServerListAsync("team", "name", "role"), await SiteHost.StoreListAsync(page, "team", "name", "role"));
        Assert.Equal(["live", "recovering", "live"], await page.EvaluateAsync<string[]>("() => statuses"));
        // Each edit once, in order: every version of grace from the cut on, none twice, none skipped back.
        var graceVersions = await page.EvaluateAsync<long[]>("() => seen.filter(s => s.id === 'grace').map(s => s.version)");
        Assert.Equal(graceVersions.Order().Distinct(), graceVersions);
        Assert.Equal("Role 14", await page.EvaluateAsync<string>("() => team.getSnapshot().find(e => e.id === 'grace').fields.role"));
        Assert.DoesNotContain("cut-2", await page.EvaluateAsync<string[]>("() => team.getSnapshot().map(e => e.id)"));
        SiteHost.AssertNoErrors(errors, siteWasCut: true);
    }

    [Fact]
    public async Task An_older_version_delivered_after_a_newer_one_never_overwrites_a_field()
    {
        var (context, page, errors) = await Site.OpenAsync(SiteHost.StoresPage);
        await using var _ = context;
        await SiteHost.WaitStatusAsync(page, "team", "live");

        var newer = await Site.PatchAsync("team", "ada", new { role = "Newest role" });
        await page.WaitForFunctionAsync("v => team.getSnapshot().find(e => e.id === 'ada')?.version === v", newer);

        // An older change of ada reaches the channel after the newer one (as a slow node's late push would): it goes
        // into the history without a live send, so the next live push shows a gap and the client recovers it.
        var stale = JsonSerializer.SerializeToElement(new { id = "ada", type = "team", operation = "update", version = newer - 1, changed = new { role = "Stale role", name = "Stale name" }, actor = "late" });
        await Site.App.Services.GetRequiredService<IChannelHistory>().AppendAsync("demo/entities/team", "entity.changed", stale);
        var same = JsonSerializer.SerializeToElement(new { id = "ada", type = "team", operation = "update", version = newer, changed = new { role = "Same version, other value" }, actor = "late" });
        await Site.App.Services.GetRequiredService<IChannelHistory>().AppendAsync("demo/entities/team", "entity.changed", same);
        var next = await Site.PatchAsync("team", "grace", new { role = "After the stale ones" });
        await page.WaitForFunctionAsync("v => team.getSnapshot().find(e => e.id === 'grace')?.version === v", next);

        Assert.Equal("Newest role", await page.EvaluateAsync<string>("() => team.getSnapshot().find(e => e.id === 'ada').fields.role"));
        Assert.NotEqual("Stale name", await page.EvaluateAsync<string>("() => team.getSnapshot().find(e => e.id === 'ada').fields.name"));
        Assert.Equal(newer, await page.EvaluateAsync<long>("() => team.getSnapshot().find(e => e.id === 'ada').version"));
        Assert.DoesNotContain("Stale role", await page.EvaluateAsync<string[]>("() => seen.map(s => s.role)"));
        Assert.DoesNotContain("Same version, other value", await page.EvaluateAsync<string[]>("() => seen.map(s => s.role)"));
        Assert.Equal(await Site.ServerListAsync("team", "name", "role"), await SiteHost.StoreListAsync(page, "team", "name", "role"));
        SiteHost.AssertNoErrors(errors);
    }

    [Fact]
    public async Task Every_store_of_a_page_shares_one_connection_and_one_token()
    {
        var before = Site.TokensIssued;
        var (context, page, _) = await Site.OpenAsync(SiteHost.StoresPage);
        await using var _1 = context;
        await SiteHost.WaitStatusAsync(page, "team", "live");
        await SiteHost.WaitStatusAsync(page, "settings", "live");
        await page.EvaluateAsync("() => { window.services = sync.liveCollection({ tenant: 'demo', type: 'services', tokenFactory }); }");
        await SiteHost.WaitStatusAsync(page, "services", "live");

        // One negotiation (one connection) for the three stores, and one token for the page (the same factory).
        var negotiations = await page.EvaluateAsync<int>("() => performance.getEntriesByType('resource').filter(r => r.name.includes('/hubs/sync/negotiate')).length");
        Assert.Equal(1, negotiations);
        Assert.Equal(1, Site.TokensIssued - before);
        Assert.Equal(["demo/entities/team", "demo/entities/settings", "demo/entities/services"], await page.EvaluateAsync<string[]>("() => sync.getSyncState().channels.map(c => c.channel)"));
    }

    [Fact]
    public async Task The_token_is_renewed_through_the_token_factory_before_it_expires_and_the_stores_stay_in_sync()
    {
        var before = Site.TokensIssued;
        var (context, page, errors) = await Site.OpenAsync(SiteHost.StoresPage, tokenLifetime: TimeSpan.FromSeconds(8));
        await using var _ = context;
        await SiteHost.WaitStatusAsync(page, "team", "live");
        Assert.Equal(1, Site.TokensIssued - before);

        // Renewed a quarter of its lifetime before it expires (at most 60 s before): a new token and a new connection.
        await page.WaitForFunctionAsync("() => performance.getEntriesByType('resource').filter(r => r.name.includes('/hubs/sync/negotiate')).length >= 2",
            null, new PageWaitForFunctionOptions { Timeout = 15_000 });
        Assert.InRange(Site.TokensIssued - before, 2, 3);
        await SiteHost.WaitStatusAsync(page, "team", "live");

        var version = await Site.PatchAsync("team", "grace", new { role = "After the renewal" });
        await page.WaitForFunctionAsync("v => team.getSnapshot().find(e => e.id === 'grace')?.version === v", version, new PageWaitForFunctionOptions { Timeout = 1000 });
        Assert.Equal(await Site.ServerListAsync("team", "name", "role"), await SiteHost.StoreListAsync(page, "team", "name", "role"));
        var statuses = await page.EvaluateAsync<string[]>("() => statuses");
        Assert.Contains("recovering", statuses);              // the re-opened connection resumed where it was,
        Assert.DoesNotContain("resyncing", statuses);         // without a reload
        Assert.DoesNotContain("offline", statuses);
        SiteHost.AssertNoErrors(errors);
    }
}
