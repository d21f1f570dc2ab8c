using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Shared.Entities;
using Xunit.Abstractions;

namespace RealtimeSync.Admin.Tests.Sites;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ResponsivenessCollection
{
    // Long tasks are wall time: measured while no other test of this project drives a browser and a host.
    public const string Name = "responsiveness";
}

/// <summary>
/// A site page with a liveCollection of 1,000 rows while the backoffice makes 50 edits a second for 10 seconds:
/// the page stays responsive (no long task over 200 ms in Chromium's Performance timeline) and shows every edit.
/// </summary>
[Collection(ResponsivenessCollection.Name)]
public sealed class LiveStorePerformanceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rows = 1000;
    private const int EditsPerSecond = 50;
    private const int Seconds = 10;

    private SiteHost site = null!;

    public async Task InitializeAsync()
    {
        site = await SiteHost.StartAsync(new() { ["Demo:SeedContent"] = "false" }); // no sample team: exactly the 1,000 rows below
        await using var scope = site.App.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<EntityStore>();
        var who = new WriteContext("seed", "test");
        for (var i = 0; i < Rows; i++)
        {
            var fields = new JsonObject { ["name"] = $"Member {i:0000}", ["role"] = "Initial", ["order"] = i, ["active"] = true };
            await store.CreateAsync("demo", DefaultEntityTypes.Team, Id(i), new EntityPatch(fields.ToDictionary(f => f.Key, f => f.Value), null), who);
        }
    }

    public async Task DisposeAsync() => await site.DisposeAsync();

    private static string Id(int i) => $"p{i:0000}";

    /// <summary>
    /// A table keyed by id, rendered at most once a frame; a row is touched only when its entity object changed.
    /// window.longTasks gets every long task (PerformanceObserver, buffered); window.frameGaps the gaps between frames.
    /// </summary>
    private const string TablePage = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>1,000 live rows</title>
          <style>table { table-layout: fixed; width: 100%; } /* a changed cell does not re-measure 1,000 rows */</style>
          <script>
            window.longTasks = [];
            new PerformanceObserver(list => { for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration }); })
              .observe({ type: 'longtask', buffered: true });
            window.frameGaps = [];
            let previous = performance.now();
            const tick = now => { frameGaps.push({ at: now, gap: now - previous }); previous = now; requestAnimationFrame(tick); };
            requestAnimationFrame(tick);
          </script>
          <script src="/lib/signalr/signalr.min.js"></script>
          <script type="module">
            import { liveCollection } from '/realtime-sync.js';
            const tokenFactory = async () => (await fetch('/__site/token', { cache: 'no-store' })).json();
            const team = window.team = liveCollection({ tenant: 'demo', type: 'team', tokenFactory });
            const body = document.querySelector('tbody');
            const rows = new Map();
            const template = document.createElement('tr');
            template.innerHTML = '<td class="name"></td><td class="role"></td><td class="version"></td>';
            let frame = 0;
            team.subscribe(() => { frame ||= requestAnimationFrame(render); });
            window.renderCosts = [];
            function render() {
              const started = performance.now();
              frame = 0;
              const members = team.getSnapshot();
              const stale = new Set(rows.keys());
              for (const member of members) {
                stale.delete(member.id);
                let row = rows.get(member.id);
                if (!row) {
                  const tr = template.cloneNode(true);
                  tr.dataset.id = member.id;
                  body.append(tr);
                  row = { tr, entity: null };
                  rows.set(member.id, row);
                }
                if (row.entity !== member) {
                  row.entity = member;
                  row.tr.children[0].textContent = member.fields.name;
                  row.tr.children[1].textContent = member.fields.role ?? '';
                  row.tr.children[2].textContent = String(member.version);
                }
              }
              for (const id of stale) { rows.get(id).tr.remove(); rows.delete(id); }
              document.body.dataset.rows = String(body.children.length);
              if (window.fullRender === undefined && members.length > 0) {
                window.fullRender = performance.now() - started; // all rows at once, from the first loaded snapshot
              } else {
                renderCosts.push(performance.now() - started);
              }
            }
          </script>
        </head>
        <body><main><h1>Team</h1><table><thead><tr><th>Name</th><th>Role</th><th>Version</th></tr></thead><tbody></tbody></table></main></body>
        </html>
        """;

    [Fact]
    public async Task A_page_with_1000_live_rows_stays_responsive_under_50_edits_a_second_for_10_seconds()
    {
        var (context, page, errors) = await site.OpenAsync(TablePage);
        await using var _ = context;
        await page.WaitForSelectorAsync($"body[data-rows='{Rows}']", new PageWaitForSelectorOptions { Timeout = 30_000 });
        await SiteHost.WaitStatusAsync(page, "team", "live");
        var editsStart = await page.EvaluateAsync<double>("() => performance.now()");

        var edits = EditsPerSecond * Seconds;
        var clock = Stopwatch.StartNew();
        var writes = new List<Task<long>>();
        for (var i = 0; i < edits; i++)
        {
            var due = TimeSpan.FromMilliseconds(i * 1000.0 / EditsPerSecond) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            writes.Add(site.PatchAsync("team", Id(i * Rows / edits), 1, new { role = $"Edited {i}" }));
        }

        await Task.WhenAll(writes);
        var sendSeconds = clock.Elapsed.TotalSeconds;
        await page.WaitForFunctionAsync(
            "n => [...document.querySelectorAll('td.role')].filter(td => td.textContent.startsWith('Edited ')).length === n",
            edits, new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 250 });
        var allShown = clock.Elapsed.TotalSeconds;
        await page.WaitForTimeoutAsync(500); // let the observer report the last tasks

        var longTasks = await page.EvaluateAsync<double[][]>("() => longTasks.map(t => [t.start, t.duration])");
        var during = longTasks.Where(t => t[0] >= editsStart).ToList();
        var frameGaps = await page.EvaluateAsync<double[]>("s => frameGaps.filter(f => f.at >= s).map(f => f.gap)", editsStart);
        var maxLongTask = longTasks.Select(t => t[1]).DefaultIfEmpty(0).Max();
        var maxDuring = during.Select(t => t[1]).DefaultIfEmpty(0).Max();
        var renderCosts = await page.EvaluateAsync<double[]>("() => renderCosts");
        var firstRender = await page.EvaluateAsync<double>("() => window.fullRender");
        output.WriteLine($"{Rows} rows, {edits} edits sent in {sendSeconds:0.0} s ({edits / sendSeconds:0.0}/s), all shown after {allShown:0.0} s (machine shared with other builds)");
        output.WriteLine($"long tasks over the whole page life: {longTasks.Length}, longest {maxLongTask:0} ms; during the edits: {during.Count}, longest {maxDuring:0} ms");
        output.WriteLine($"render of the 1,000 rows from the first snapshot: {firstRender:0} ms; other renders (store snapshot + DOM patch): {renderCosts.Length}, mean {renderCosts.DefaultIfEmpty(0).Average():0.0} ms, longest {renderCosts.DefaultIfEmpty(0).Max():0.0} ms");
        output.WriteLine($"frames during the edits: {frameGaps.Length}, longest gap {frameGaps.DefaultIfEmpty(0).Max():0} ms, 99th percentile {Percentile(frameGaps, 0.99):0} ms");

        // Under the edits the page must stay responsive. (The first render of 1,000 rows at once, before the edits, is the
        // page's own choice and is reported above, not asserted: on this shared machine it is wall time under contention.)
        Assert.True(maxDuring <= 200, $"a long task of {maxDuring:0} ms during the edits: {string.Join(", ", during.Select(t => $"{t[1]:0} ms at {t[0]:0}"))}");
        Assert.Equal(await site.ServerListAsync("team", "role"), await SiteHost.StoreListAsync(page, "team", "role"));
        SiteHost.AssertNoErrors(errors);
    }

    private static double Percentile(double[] values, double p)
    {
        if (values.Length == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }
}
