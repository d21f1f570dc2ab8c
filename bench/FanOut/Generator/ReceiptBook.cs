using System.Collections.Concurrent;

namespace RealtimeSync.FanOut.Generator;

/// <summary>
/// Every subscriber's receipts, per step (the <c>s</c> of the payload), in shards: a subscriber always
/// records into its own shard, so the receive loops of the 2 cores rarely touch the same counters (one
/// shared histogram made every receipt contend for the same cache lines). Merged when a step is read.
/// </summary>
internal sealed class ReceiptBook
{
    /// <summary>Shards per step; subscribers are dealt round-robin over them.</summary>
    public const int Shards = 16;

    private readonly ConcurrentDictionary<int, StepReceipts[]> steps = new();
    private int nextShard = -1;

    /// <summary>The shard the next subscriber records into.</summary>
    public int NextShard() => (int)((uint)Interlocked.Increment(ref nextShard) % Shards);

    public void Record(int shard, int step, long dueUs, long atUs) => Shard(step, shard).Record(atUs - dueUs, atUs);

    public long Count(int step) => steps.TryGetValue(step, out var shards) ? shards.Sum(s => s.Latency.Count) : 0;

    public StepStats Stats(int step)
    {
        if (!steps.TryGetValue(step, out var shards))
        {
            return new StepStats(0, 0, 0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var h = LatencyHistogram.Merge(shards.Select(s => s.Latency));
        var first = shards.Min(s => Volatile.Read(ref s.FirstAtUs));
        var last = shards.Max(s => Volatile.Read(ref s.LastAtUs));
        return new StepStats(h.Count, first, last, h.QuantileMs(0.50), h.QuantileMs(0.90), h.QuantileMs(0.99), h.MaxMs, h.MeanMs);
    }

    private StepReceipts Shard(int step, int shard)
    {
        if (!steps.TryGetValue(step, out var shards))
        {
            shards = steps.GetOrAdd(step, _ => [.. Enumerable.Range(0, Shards).Select(_ => new StepReceipts())]);
        }

        return shards[shard];
    }

    private sealed class StepReceipts
    {
        public readonly LatencyHistogram Latency = new();
        public long FirstAtUs = long.MaxValue;
        public long LastAtUs;

        public void Record(long latencyUs, long atUs)
        {
            Latency.Record(latencyUs);
            // Plain reads first: only the first and the newest receipt of a step need the exchange.
            if (atUs < Volatile.Read(ref FirstAtUs))
            {
                Exchange(ref FirstAtUs, atUs, static (candidate, current) => candidate < current);
            }

            if (atUs > Volatile.Read(ref LastAtUs))
            {
                Exchange(ref LastAtUs, atUs, static (candidate, current) => candidate > current);
            }
        }

        private static void Exchange(ref long field, long candidate, Func<long, long, bool> better)
        {
            var current = Interlocked.Read(ref field);
            while (better(candidate, current))
            {
                var seen = Interlocked.CompareExchange(ref field, candidate, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }
    }
}
