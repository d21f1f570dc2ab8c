using System.Diagnostics.Metrics;

namespace RealtimeSync.Hub.Config;

/// <summary>The config store's instruments on the product meter (exported at /metrics).</summary>
public static class ConfigMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");

    /// <summary>Reloads from Redis by result (ok / unreachable).</summary>
    public static readonly Counter<long> Reloads = Meter.CreateCounter<long>("rs.config.reloads", description: "Config reloads from Redis by result");

    /// <summary>Writes by outcome (written, unchanged, invalid, versionconflict, unavailable).</summary>
    public static readonly Counter<long> Writes = Meter.CreateCounter<long>("rs.config.writes", description: "Config writes by outcome");

    /// <summary>Reads from Redis (the version probe every refresh makes, and the full read after a change) by outcome.</summary>
    public static readonly Histogram<double> ReadDuration = Meter.CreateHistogram<double>("rs.config.read.duration", unit: "ms",
        description: "Config store reads from Redis by kind (version, values) and result (ok, error)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500] });

    private static readonly List<WeakReference<ConfigStore>> Stores = [];

    internal static async Task<T> TimedReadAsync<T>(string kind, Func<Task<T>> read)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = "error";
        try
        {
            var value = await read();
            result = "ok";
            return value;
        }
        finally
        {
            ReadDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("result", result));
        }
    }

    static ConfigMetrics()
    {
        // 1 while a store serves last-known / file values because Redis is unreachable.
        Meter.CreateObservableGauge("rs.config.degraded", () => Observe(s => new Measurement<int>(s.Status.Degraded ? 1 : 0,
            new KeyValuePair<string, object?>("mode", s.Mode))), description: "1 while the config store is degraded (Redis unreachable)");
    }

    internal static void Track(ConfigStore store)
    {
        lock (Stores)
        {
            Stores.RemoveAll(w => !w.TryGetTarget(out _));
            Stores.Add(new WeakReference<ConfigStore>(store));
        }
    }

    private static IEnumerable<Measurement<int>> Observe(Func<ConfigStore, Measurement<int>> measure)
    {
        lock (Stores)
        {
            return Stores.Select(w => w.TryGetTarget(out var s) ? s : null).OfType<ConfigStore>().Select(measure).ToList();
        }
    }
}
