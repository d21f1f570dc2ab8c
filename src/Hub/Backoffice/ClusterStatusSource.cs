using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Realtime.Cluster;

namespace RealtimeSync.Hub.Backoffice;

public sealed class ClusterStatusSource(ClusterRegistry registry) : IClusterStatusSource
{
    public async Task<IReadOnlyList<ClusterNode>> GetAsync(CancellationToken ct = default) =>
        (await registry.NodesAsync()).Select(n => new ClusterNode(
            n.NodeId, n.Version, n.StartedAt, n.SeenAt, registry.IsLost(n), n.Connections, n.Subscriptions,
            n.PublicationsPerSecond, n.DeliveriesPerSecond, n.PendingSaveJobs, n.SyncRequestsPerSecond, n.Backplane, n.BackplaneSince, n.BackplaneReason, n.HistoryChannels, n.OutageBuffered)).ToList();
}
