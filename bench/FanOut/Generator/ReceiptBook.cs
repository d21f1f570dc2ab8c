using System.Collections.Concurrent;

namespace RealtimeSync.FanOut.Generator;

/// <summary>Every subscriber's receipts, per step (the <c>s</c> of the payload).</summary>
internal sealed class ReceiptBook
{
    private readonly ConcurrentDictionary<int, StepReceipts> steps = new();

    public void Record(int step, long dueUs, long atUs) => steps.GetOrAdd(step, _ => new StepReceipts()).Record(atUs - dueUs, atUs);

    public long Count(int step) => steps.TryGetValue(step, out var receipts) ? receipts.Latency.Count : 0;

    public StepStats Stats(int step)
    {
        if (!steps.TryGetValue(step, out var r))
        {
            return new StepStats(0, 0, 0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var h = r.Latency;
        return new StepStats(h.Count, Interlocked.Read(ref r.FirstAtUs), Interlocked.Read(ref r.LastAtUs), h.QuantileMs(0.50), h.QuantileMs(0.90), h.QuantileMs(0.99), h.MaxMs, h.MeanMs);
    }

    private sealed class StepReceipts
    {
        public readonly LatencyHistogram Latency = new();
        public long FirstAtUs = long.MaxValue;
        public long LastAtUs;

        public void Record(long latencyUs, long atUs)
        {
            Latency.Record(latencyUs);
            Exchange(ref FirstAtUs, atUs, (candidate, current) => candidate < current);
            Exchange(ref LastAtUs, atUs, (candidate, current) => candidate > current);
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
