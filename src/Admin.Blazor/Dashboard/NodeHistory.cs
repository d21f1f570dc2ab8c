using RealtimeSync.Admin.Services;

namespace RealtimeSync.Admin.Dashboard;

/// <summary>One reading of the cluster, as the Dashboard charts it.</summary>
public sealed record ClusterSample(DateTimeOffset At, IReadOnlyList<ClusterNode> Nodes);

/// <summary>A chart's data: one series per node over the sampled times.</summary>
/// <param name="Labels">The x-axis labels (local time, HH:mm:ss), one per sample.</param>
/// <param name="Series">Node id → one value per label (0 where the node did not report).</param>
public sealed record NodeChartData(IReadOnlyList<string> Labels, IReadOnlyList<(string Node, double[] Values)> Series);

/// <summary>One charted measure of a node: its test id key, its title and how it is read from a reading.</summary>
public sealed record NodeMeasure(string Key, string Title, Func<ClusterNode, double> Value);

/// <summary>The Dashboard's charts, in the order shown.</summary>
public static class NodeMeasures
{
    public static readonly IReadOnlyList<NodeMeasure> All =
    [
        new("connections", "Connections", n => n.Connections),
        new("publications", "Publications/s", n => n.PublicationsPerSecond),
        new("deliveries", "Deliveries/s", n => n.DeliveriesPerSecond),
        new("save-jobs", "Pending save jobs", n => n.PendingSaveJobs),
        new("sync-requests", "Sync requests/s", n => n.SyncRequestsPerSecond),
    ];
}

/// <summary>
/// The Dashboard's readings of the last <see cref="Window"/>, oldest first. Scoped (one per circuit): the page adds a
/// reading on every refresh and renders the charts from here, so a re-render never loses the history.
/// </summary>
public sealed class NodeHistory(TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private readonly List<ClusterSample> samples = [];

    public IReadOnlyList<ClusterSample> Samples => samples;

    public void Add(IReadOnlyList<ClusterNode> nodes)
    {
        var now = clock.GetUtcNow();
        samples.Add(new ClusterSample(now, nodes));
        samples.RemoveAll(s => now - s.At > Window);
    }

    /// <summary>The chart of one measure (connections, publications/s…) per node.</summary>
    public NodeChartData Chart(Func<ClusterNode, double> measure)
    {
        var labels = samples.Select(s => s.At.ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var nodes = samples.SelectMany(s => s.Nodes.Select(n => n.NodeId)).Distinct().Order(StringComparer.Ordinal).ToList();
        var series = nodes.Select(node => (node, samples.Select(s => s.Nodes.FirstOrDefault(n => n.NodeId == node) is { } n ? measure(n) : 0).ToArray())).ToList();
        return new NodeChartData(labels, series);
    }
}
