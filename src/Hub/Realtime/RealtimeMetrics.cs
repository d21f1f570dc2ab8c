using System.Diagnostics.Metrics;
using RealtimeSync.Hub.Realtime.Backplane;

namespace RealtimeSync.Hub.Realtime;

/// <summary>The real-time hub's instruments on the product meter (exported at /metrics). Tags are bounded: channel kind, never the channel or tenant.</summary>
public static class RealtimeMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");

    public static readonly UpDownCounter<long> Connections = Meter.CreateUpDownCounter<long>("rs.hub.connections", description: "Open hub connections");

    public static readonly UpDownCounter<long> Subscriptions = Meter.CreateUpDownCounter<long>("rs.hub.subscriptions", description: "Channel subscriptions of hub connections by channel kind");

    public static readonly Counter<long> Publications = Meter.CreateCounter<long>("rs.publications", description: "Publications appended by this node, by channel kind");

    public static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("rs.deliveries", description: "Publications sent to hub connections (one per connection), by channel kind");

    /// <summary>Subscribes with a position: result = recovered (history covered it) or resync (it did not).</summary>
    public static readonly Counter<long> Recoveries = Meter.CreateCounter<long>("rs.hub.recoveries", description: "Subscribes with a since position by result (recovered, resync)");

    private static readonly List<WeakReference<BackplaneStatus>> Backplanes = [];

    static RealtimeMetrics()
    {
        Meter.CreateObservableGauge("rs.backplane.state", () => Each<int>(Backplanes, b => b.Enabled
            ? Enum.GetValues<BackplaneState>().Select(s => new Measurement<int>(b.State == s ? 1 : 0, new KeyValuePair<string, object?>("state", s.ToString().ToLowerInvariant())))
            : []), description: "1 for the backplane's current state (connected, degraded, down)");
        Meter.CreateObservableCounter("rs.backplane.errors", () => Each<long>(Backplanes, b => b.Enabled
            ?
            [
                new Measurement<long>(b.PublishErrors, new KeyValuePair<string, object?>("kind", "publish")),
            ]
            : []), description: "SignalR sends the Redis backplane lost (Redis unreachable)");
    }

    /// <summary>entities, documents, sync, presence or other: a constant string, nothing allocated per call.</summary>
    public static string Kind(string channel)
    {
        var span = channel.AsSpan();
        var first = span.IndexOf('/');
        if (first < 0)
        {
            return "other";
        }

        var rest = span[(first + 1)..];
        var second = rest.IndexOf('/');
        var kind = second < 0 ? rest : rest[..second];
        return kind switch
        {
            "entities" => "entities",
            "documents" => "documents",
            "sync" => "sync",
            "presence" => "presence",
            _ => "other",
        };
    }

    public static KeyValuePair<string, object?> KindTag(string channel) => new("kind", Kind(channel));

    internal static void Track(BackplaneStatus status)
    {
        lock (Backplanes)
        {
            Backplanes.RemoveAll(w => !w.TryGetTarget(out _));
            Backplanes.Add(new WeakReference<BackplaneStatus>(status));
        }
    }

    private static List<Measurement<T>> Each<T>(List<WeakReference<BackplaneStatus>> list, Func<BackplaneStatus, IEnumerable<Measurement<T>>> measure)
        where T : struct
    {
        lock (list)
        {
            return list.Select(w => w.TryGetTarget(out var s) ? s : null).OfType<BackplaneStatus>().SelectMany(measure).ToList();
        }
    }
}
