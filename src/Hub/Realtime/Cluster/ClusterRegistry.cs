using System.Collections.Concurrent;
using System.Text.Json;
using RealtimeSync.Hub.Documents.Internal;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Redis;
using RealtimeSync.Hub.Realtime.Backplane;
using RealtimeSync.Hub.Sync.Internal;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Realtime.Cluster;

/// <summary>What one node reports about itself every heartbeat.</summary>
public sealed record NodeSnapshot(
    string NodeId,
    string Version,
    DateTimeOffset StartedAt,
    DateTimeOffset SeenAt,
    int Connections,
    int Subscriptions,
    double PublicationsPerSecond,
    double DeliveriesPerSecond,
    int PendingSaveJobs,
    double SyncRequestsPerSecond,
    string Backplane,
    DateTimeOffset BackplaneSince,
    string? BackplaneReason,
    int HistoryChannels,
    int OutageBuffered);

/// <summary>
/// The nodes of the cluster as they report themselves: a Redis hash written by every node's heartbeat
/// (<c>{prefix}:nodes</c>), or just this node in embedded mode. A node whose report is older than three
/// heartbeats is shown as lost, and dropped after a minute.
/// </summary>
public sealed partial class ClusterRegistry(
    NodeInfo node,
    ChannelSubscriptions subscriptions,
    ChannelPublisher publisher,
    ChannelFanOut fanOut,
    BackplaneStatus backplane,
    IChannelHistory history,
    RedisConnection redis,
    IConfiguration configuration,
    TimeProvider clock,
    ILogger<ClusterRegistry> log)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, NodeSnapshot> lastKnown = new(StringComparer.Ordinal);
    private (DateTimeOffset At, long Publications, long Deliveries, long SyncRequests)? previous;

    private string Key => $"{(configuration["Redis:ChannelPrefix"] is { Length: > 0 } prefix ? prefix : "rs")}:nodes";

    /// <summary>Measures this node and shares the result (called by the heartbeat).</summary>
    public async Task ReportAsync()
    {
        var snapshot = Measure();
        lastKnown[snapshot.NodeId] = snapshot;
        if (!redis.IsConfigured)
        {
            return;
        }

        try
        {
            await redis.Multiplexer.GetDatabase().HashSetAsync(Key, snapshot.NodeId, JsonSerializer.Serialize(snapshot, JsonSerializerOptions.Web));
        }
        catch (Exception e) when (RedisFailure.IsOutage(e))
        {
            LogReportFailed(log, e);
        }
    }

    /// <summary>Every node heard from in the last minute, this one first.</summary>
    public async Task<IReadOnlyList<NodeSnapshot>> NodesAsync()
    {
        if (redis.IsConfigured)
        {
            try
            {
                var db = redis.Multiplexer.GetDatabase();
                foreach (var entry in await db.HashGetAllAsync(Key))
                {
                    var snapshot = JsonSerializer.Deserialize<NodeSnapshot>((string)entry.Value!, JsonSerializerOptions.Web)!;
                    if (clock.GetUtcNow() - snapshot.SeenAt > TimeSpan.FromMinutes(1))
                    {
                        await db.HashDeleteAsync(Key, entry.Name);
                        lastKnown.TryRemove(snapshot.NodeId, out _);
                    }
                    else
                    {
                        lastKnown[snapshot.NodeId] = snapshot;
                    }
                }
            }
            catch (Exception e) when (RedisFailure.IsOutage(e))
            {
                LogReportFailed(log, e); // show what was last known
            }
        }

        lastKnown[node.NodeId] = Measure(updateRates: false);
        return lastKnown.Values
            .Where(n => clock.GetUtcNow() - n.SeenAt <= TimeSpan.FromMinutes(1))
            .OrderBy(n => n.NodeId == node.NodeId ? 0 : 1)
            .ThenBy(n => n.NodeId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>True when the node's last report is older than three heartbeats.</summary>
    public bool IsLost(NodeSnapshot snapshot) => clock.GetUtcNow() - snapshot.SeenAt > Interval * 3;

    private NodeSnapshot Measure(bool updateRates = true)
    {
        var now = clock.GetUtcNow();
        var publications = publisher.Publications;
        var deliveries = fanOut.Deliveries;
        var syncRequests = SyncMetrics.RequestsTotal;
        double pubRate = 0, deliveryRate = 0, syncRate = 0;
        if (previous is { } before && now > before.At)
        {
            var seconds = (now - before.At).TotalSeconds;
            pubRate = Math.Round((publications - before.Publications) / seconds, 1);
            deliveryRate = Math.Round((deliveries - before.Deliveries) / seconds, 1);
            syncRate = Math.Round((syncRequests - before.SyncRequests) / seconds, 1);
        }
        else if (lastKnown.TryGetValue(node.NodeId, out var last))
        {
            (pubRate, deliveryRate, syncRate) = (last.PublicationsPerSecond, last.DeliveriesPerSecond, last.SyncRequestsPerSecond);
        }

        if (updateRates)
        {
            previous = (now, publications, deliveries, syncRequests);
        }
        else if (lastKnown.TryGetValue(node.NodeId, out var last))
        {
            (pubRate, deliveryRate, syncRate) = (last.PublicationsPerSecond, last.DeliveriesPerSecond, last.SyncRequestsPerSecond);
        }

        var (state, since, reason) = backplane.Enabled ? (backplane.State.ToString().ToLowerInvariant(), backplane.Since, backplane.Reason) : ("in-process", node.StartedAt, (string?)null);
        return new NodeSnapshot(
            node.NodeId,
            node.Version,
            node.StartedAt,
            now,
            subscriptions.OpenConnections,
            subscriptions.SubscriptionCount,
            pubRate,
            deliveryRate,
            DocumentMetrics.Pending,
            syncRate,
            state,
            since,
            reason,
            subscriptions.Channels.Count,
            history is RedisChannelHistory shared ? shared.BufferedCount : 0);
    }

    [LoggerMessage(EventId = 3040, Level = LogLevel.Warning, Message = "Cluster view not shared: Redis unreachable")]
    private static partial void LogReportFailed(ILogger logger, Exception e);
}
