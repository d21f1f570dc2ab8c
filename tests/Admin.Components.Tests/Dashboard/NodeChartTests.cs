using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Dashboard;
using RealtimeSync.Admin.Services;

namespace RealtimeSync.Admin.Components.Tests.Dashboard;

/// <summary>The Dashboard's charts are bound to the readings of the last 15 minutes, one series per node.</summary>
public sealed class NodeChartTests : AdminComponentTest
{
    private static ClusterNode Node(string id, int connections, double publications, double deliveries = 0, int pendingSaveJobs = 0, double syncRequests = 0) =>
        new(id, "1.0", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, false, connections, 0, publications, deliveries, pendingSaveJobs, syncRequests, "connected", DateTimeOffset.UnixEpoch, null, 0, 0);

    private sealed class FakeNodeStatus : INodeStatusSource
    {
        public Task<NodeStatus> GetAsync(CancellationToken ct = default) =>
            Task.FromResult(new NodeStatus("a", "1.0", DateTimeOffset.UnixEpoch, "embedded", [], DateTimeOffset.UnixEpoch));
    }

    private sealed class FakeCluster(IReadOnlyList<ClusterNode> nodes) : IClusterStatusSource
    {
        public Task<IReadOnlyList<ClusterNode>> GetAsync(CancellationToken ct = default) => Task.FromResult(nodes);
    }

    [Fact]
    public void The_dashboard_charts_every_measure_per_node_each_bound_to_its_own_value()
    {
        // Every measure has a different value on each node, so a chart bound to the wrong field (or to nothing) shows other numbers.
        IReadOnlyList<ClusterNode> nodes = [Node("a", 3, 1.5, 2.5, 4, 6.5), Node("b", 7, 0.5, 8.5, 9, 11.5)];
        Services.AddSingleton<INodeStatusSource>(new FakeNodeStatus());
        Services.AddSingleton<IClusterStatusSource>(new FakeCluster(nodes));
        Services.AddScoped(_ => new NodeHistory(new ManualClock(DateTimeOffset.Parse("2026-12-06T10:00:00Z"))));
        RenderProviders();

        var page = Render<RealtimeSync.Admin.Pages.Dashboard>();

        var expected = new Dictionary<string, string>
        {
            ["connections"] = "3 7",
            ["publications"] = "1.5 0.5",
            ["deliveries"] = "2.5 8.5",
            ["save-jobs"] = "4 9",
            ["sync-requests"] = "6.5 11.5",
        };
        Assert.Equal(expected.Keys, page.FindAll("[data-testid^=chart-]").Select(c => c.GetAttribute("data-testid")!["chart-".Length..]));
        foreach (var (key, last) in expected)
        {
            var chart = page.Find($"[data-testid=chart-{key}]");
            Assert.Equal("a b", chart.GetAttribute("data-series"));
            Assert.Equal(last, chart.GetAttribute("data-last"));
        }

        Assert.Equal(["Connections", "Publications/s", "Deliveries/s", "Pending save jobs", "Sync requests/s"], page.FindAll("[data-testid^=chart-] h3").Select(h => h.TextContent.Trim()));
    }

    [Fact]
    public void Each_reading_adds_a_point_per_node_and_readings_older_than_15_minutes_drop_out()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-06T10:00:00Z"));
        var history = new NodeHistory(clock);
        history.Add([Node("a", 3, 1.5)]);
        clock.Advance(TimeSpan.FromSeconds(5));
        history.Add([Node("a", 5, 2), Node("b", 7, 0)]);

        var chart = history.Chart(n => n.Connections);
        Assert.Equal(2, chart.Labels.Count);
        Assert.Equal(["a", "b"], chart.Series.Select(s => s.Node));
        Assert.Equal([3.0, 5.0], chart.Series[0].Values);
        Assert.Equal([0.0, 7.0], chart.Series[1].Values);    // b had not reported at the first reading

        clock.Advance(TimeSpan.FromMinutes(15));
        history.Add([Node("b", 9, 0)]);
        Assert.Equal(2, history.Samples.Count);               // the 10:00:00 reading is out of the window
    }

    [Fact]
    public void The_chart_renders_the_latest_value_of_each_node_and_updates_on_new_data()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-06T10:00:00Z"));
        var history = new NodeHistory(clock);
        history.Add([Node("a", 3, 1.5), Node("b", 4, 0.5)]);
        var chart = Render<NodeChart>(p => p.Add(c => c.Key, "publications").Add(c => c.Title, "Publications/s").Add(c => c.Data, history.Chart(n => n.PublicationsPerSecond)));

        var panel = chart.Find("[data-testid=chart-publications]");
        Assert.Equal("1", panel.GetAttribute("data-points"));
        Assert.Equal("a b", panel.GetAttribute("data-series"));
        Assert.Equal("1.5 0.5", panel.GetAttribute("data-last"));
        Assert.NotEmpty(chart.FindAll("svg"));

        clock.Advance(TimeSpan.FromSeconds(5));
        history.Add([Node("a", 3, 4), Node("b", 4, 2.25)]);
        chart.Render(p => p.Add(c => c.Data, history.Chart(n => n.PublicationsPerSecond)));
        Assert.Equal("2", chart.Find("[data-testid=chart-publications]").GetAttribute("data-points"));
        Assert.Equal("4 2.25", chart.Find("[data-testid=chart-publications]").GetAttribute("data-last"));
    }

    [Fact]
    public void Before_the_first_reading_the_chart_says_it_is_waiting() =>
        Assert.Contains("Waiting", Render<NodeChart>(p => p.Add(c => c.Key, "x").Add(c => c.Title, "X").Add(c => c.Data, new NodeChartData([], []))).Markup);
}
