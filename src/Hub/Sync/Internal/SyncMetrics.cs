using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace RealtimeSync.Hub.Sync.Internal;

/// <summary>Sync instruments on the product meter (tenant is deliberately not a tag: unbounded cardinality).</summary>
internal static class SyncMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("rs.sync.requests", description: "Sync requests by direction and status");

    private static readonly Counter<long> Events = Meter.CreateCounter<long>("rs.sync.events", description: "Uploaded outbox events by outcome");

    private static readonly Counter<long> Changes = Meter.CreateCounter<long>("rs.sync.changes_sent", description: "Changes sent by sync/down");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("rs.sync.duration", unit: "ms", description: "Sync request duration");

    private static readonly Counter<long> Pushes = Meter.CreateCounter<long>("rs.sync.pushes", description: "Publications on sync channels by type");

    private static long requestsTotal;

    /// <summary>Sync requests this node has answered since it started (every <c>rs.sync.requests</c> measurement); the Dashboard charts its rate.</summary>
    public static long RequestsTotal => Interlocked.Read(ref requestsTotal);

    public static void Request(string direction, string status, double milliseconds)
    {
        var tags = new KeyValuePair<string, object?>[] { new("direction", direction), new("status", status) };
        Requests.Add(1, tags);
        Interlocked.Increment(ref requestsTotal);
        Duration.Record(milliseconds, tags);
    }

    public static void Event(string outcome, int count = 1) => Events.Add(count, new KeyValuePair<string, object?>("outcome", outcome));

    public static void Sent(int count) => Changes.Add(count);

    public static void Push(string type) => Pushes.Add(1, new KeyValuePair<string, object?>("type", type));

    /// <summary>Most clients the lag gauge reports: the ones furthest behind, so the label's cardinality is bounded.</summary>
    public const int LagClients = 20;

    private static readonly TimeSpan LagForgetAfter = TimeSpan.FromMinutes(15);

    private static readonly ConcurrentDictionary<string, (long Lag, long SeenAt)> Lags = new(StringComparer.Ordinal);

    private static readonly ObservableGauge<long> ClientLagGauge = Meter.CreateObservableGauge("rs.sync.client_lag", ObserveLags,
        description: $"Changes a sync client was behind its tenant's head after its last sync/down (the {LagClients} furthest behind, seen in the last 15 min)");

    /// <summary>After a sync/down page: how many changes the client still has to fetch.</summary>
    public static void ClientLag(string clientId, long lag)
    {
        Lags[clientId] = (Math.Max(0, lag), Environment.TickCount64);
        if (Lags.Count > LagClients * 50)
        {
            Forget();
        }
    }

    private static IEnumerable<Measurement<long>> ObserveLags()
    {
        Forget();
        return Lags.OrderByDescending(l => l.Value.Lag).ThenBy(l => l.Key, StringComparer.Ordinal).Take(LagClients)
            .Select(l => new Measurement<long>(l.Value.Lag, new KeyValuePair<string, object?>("client", l.Key))).ToList();
    }

    private static void Forget()
    {
        var before = Environment.TickCount64 - (long)LagForgetAfter.TotalMilliseconds;
        foreach (var (client, entry) in Lags)
        {
            if (entry.SeenAt < before)
            {
                Lags.TryRemove(client, out _);
            }
        }
    }
}
