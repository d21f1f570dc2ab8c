using RealtimeSync.Admin.Dashboard;
using RealtimeSync.Admin.Services;

namespace RealtimeSync.Admin.Components.Tests.Dashboard;

/// <summary>The Dashboard's charts are bound to the readings of the last 15 minutes, one series per node.</summary>
public sealed class NodeChartTests : AdminComponentTest
{
    private static ClusterNode Node(string id, int connections, double publications) =>
        new(id, "1.0", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, false, connections, 0, publications, 0, "connected", DateTimeOffset.UnixEpoch, null, 0, 0);

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
