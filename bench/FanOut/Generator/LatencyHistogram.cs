using System.Numerics;

namespace RealtimeSync.FanOut.Generator;

/// <summary>
/// Lock-free latency histogram in microseconds: exact below 128 µs, then 64 buckets per power of two
/// (under 1.6 % error), which is plenty for p50/p99 and cheap enough for 300k receipts a second.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Buckets = 128 + 57 * 64;

    private readonly long[] counts = new long[Buckets];
    private long total;
    private long sumUs;
    private long maxUs;

    public long Count => Interlocked.Read(ref total);

    /// <summary>One histogram holding every count of <paramref name="parts"/> (read while they may still be written).</summary>
    public static LatencyHistogram Merge(IEnumerable<LatencyHistogram> parts)
    {
        var merged = new LatencyHistogram();
        foreach (var part in parts)
        {
            for (var i = 0; i < Buckets; i++)
            {
                merged.counts[i] += Interlocked.Read(ref part.counts[i]);
            }

            merged.sumUs += Interlocked.Read(ref part.sumUs);
            merged.maxUs = Math.Max(merged.maxUs, Interlocked.Read(ref part.maxUs));
        }

        merged.total = merged.counts.Sum();
        return merged;
    }

    public void Record(long us)
    {
        us = Math.Max(0, us);
        Interlocked.Increment(ref counts[Index(us)]);
        Interlocked.Increment(ref total);
        Interlocked.Add(ref sumUs, us);
        var max = Interlocked.Read(ref maxUs);
        while (us > max)
        {
            var seen = Interlocked.CompareExchange(ref maxUs, us, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>The latency at quantile <paramref name="q"/> (0..1) in ms: the middle of its bucket.</summary>
    public double QuantileMs(double q)
    {
        var n = Count;
        if (n == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(q * n);
        long seen = 0;
        for (var i = 0; i < Buckets; i++)
        {
            seen += Interlocked.Read(ref counts[i]);
            if (seen >= Math.Max(1, rank))
            {
                var (low, width) = Range(i);
                return Math.Min(low + width / 2.0, MaxMs * 1000) / 1000.0;
            }
        }

        return MaxMs;
    }

    public double MaxMs => Interlocked.Read(ref maxUs) / 1000.0;

    public double MeanMs => Count == 0 ? double.NaN : Interlocked.Read(ref sumUs) / 1000.0 / Count;

    private static int Index(long us)
    {
        if (us < 128)
        {
            return (int)us;
        }

        var msb = 63 - BitOperations.LeadingZeroCount((ulong)us);
        var shift = msb - 6; // keeps the top 7 bits: us >> shift is in 64..127
        return Math.Min(Buckets - 1, 128 + ((shift - 1) * 64) + (int)((us >> shift) - 64));
    }

    private static (long Low, long Width) Range(int index)
    {
        if (index < 128)
        {
            return (index, 1);
        }

        var k = index - 128;
        var shift = (k / 64) + 1;
        return ((long)((k % 64) + 64) << shift, 1L << shift);
    }
}
