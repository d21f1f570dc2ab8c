using Microsoft.Playwright;

namespace RealtimeSync.Admin.Tests.Sites;

/// <summary>A site that missed more than the hub's history window (5 publications here) reloads and goes on live.</summary>
public sealed class LiveStoreResyncTests : IAsyncLifetime
{
    private SiteHost site = null!;

    public async Task InitializeAsync() => site = await SiteHost.StartAsync(new() { ["Realtime:History:MaxCount"] = "5" });

    public async Task DisposeAsync() => await site.DisposeAsync();

    [Fact]
    public async Task A_store_that_missed_more_than_the_history_window_resyncs_and_then_equals_the_servers_list()
    {
        var (context, page, errors) = await site.OpenAsync(SiteHost.StoresPage);
        await using var _ = context;
        await SiteHost.WaitStatusAsync(page, "team", "live");
        await page.EvaluateAsync("() => { window.statuses = [team.status]; }");

        site.CutSite();
        await SiteHost.WaitStatusAsync(page, "team", "recovering");
        for (var i = 1; i <= 6; i++)
        {
            await site.PatchAsync("team", "grace", new { role = $"Role {i}" });
        }

        await site.CreateAsync("team", "late", new { name = "Hired while away", role = "New" });
        await site.DeleteAsync("team", "alan");                 // the resync must drop what the server no longer has
        await site.PatchAsync("team", "ada", new { name = "Ada King" });

        site.RestoreSite();
        await SiteHost.WaitStatusAsync(page, "team", "live", 30_000);
        Assert.Equal(["live", "recovering", "resyncing", "live"], await page.EvaluateAsync<string[]>("() => statuses"));
        Assert.Equal(await site.ServerListAsync("team", "name", "role"), await SiteHost.StoreListAsync(page, "team", "name", "role"));
        Assert.Equal(["ada", "grace", "late"], await page.EvaluateAsync<string[]>("() => team.getSnapshot().map(e => e.id)"));

        // and it goes on live from the hub's position
        var version = await site.PatchAsync("team", "late", new { role = "Settled in" });
        await page.WaitForFunctionAsync("v => team.getSnapshot().find(e => e.id === 'late')?.version === v", version, new PageWaitForFunctionOptions { Timeout = 1000 });
        Assert.Equal("Settled in", await page.EvaluateAsync<string>("() => team.getSnapshot().find(e => e.id === 'late').fields.role"));
        SiteHost.AssertNoErrors(errors, siteWasCut: true);
    }
}
