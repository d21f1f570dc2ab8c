using RealtimeSync.Hub.Infrastructure.Locking;

namespace RealtimeSync.Hub.Realtime;

/// <summary>Drops presence members of dead nodes (and announces their leave), on one node of the cluster at a time.</summary>
public sealed class PresenceCleanupJob(PresenceTracker presence) : ISingletonJob
{
    public string Name => "presence-cleanup";

    public TimeSpan Interval => Cluster.ClusterRegistry.Interval;

    public Task RunOnceAsync(SingletonJobContext context, CancellationToken ct) => presence.RemoveExpiredAsync(ct);
}
