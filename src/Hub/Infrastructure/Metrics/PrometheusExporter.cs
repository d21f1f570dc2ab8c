using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace RealtimeSync.Hub.Infrastructure.Metrics;

/// <summary>
/// Listens to every instrument of the meter named <see cref="MeterName"/> (whoever creates it) and renders the
/// aggregates in the Prometheus text format (0.0.4). Names: <c>rs.save_jobs.committed</c> →
/// <c>rs_save_jobs_committed</c>; counters get <c>_total</c>; up-down counters and gauges are gauges; histograms
/// have cumulative <c>_bucket</c>s (the instrument's advised boundaries, else defaults), <c>_sum</c> and <c>_count</c>;
/// tags are labels. Instruments of the same name (one per host in a test process) share one family.
/// </summary>
/// <remarks>
/// The measurement path takes no lock: a lookup in a concurrent dictionary keyed by a struct of the tag values and
/// an interlocked add. Only a scrape locks (to read observable instruments and render).
/// </remarks>
public sealed class PrometheusExporter : IDisposable
{
    public const string MeterName = "RealtimeSync";

    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] MillisecondBuckets = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, Family> families = new(StringComparer.Ordinal);
    private readonly object scrape = new();

    public PrometheusExporter()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MeterName)
            {
                var family = families.GetOrAdd(MetricName(instrument.Name), _ => new Family(instrument));
                l.EnableMeasurementEvents(instrument, family);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, state) => ((Family)state!).Record(v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, state) => ((Family)state!).Record((long)v, tags));
        listener.SetMeasurementEventCallback<short>((i, v, tags, state) => ((Family)state!).Record((long)v, tags));
        listener.SetMeasurementEventCallback<byte>((i, v, tags, state) => ((Family)state!).Record((long)v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, state) => ((Family)state!).Record(v, tags));
        listener.SetMeasurementEventCallback<float>((i, v, tags, state) => ((Family)state!).Record(v, tags));
        listener.SetMeasurementEventCallback<decimal>((i, v, tags, state) => ((Family)state!).Record((double)v, tags));
        listener.Start();
    }

    /// <summary>The whole exposition, observable instruments read now.</summary>
    public string Render()
    {
        lock (scrape)
        {
            foreach (var family in families.Values.Where(f => f.Observable))
            {
                family.Series.Clear(); // a series an observable instrument no longer reports disappears
            }

            listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var family in families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                family.Write(text);
            }

            return text.ToString();
        }
    }

    public void Dispose() => listener.Dispose();

    /// <summary><c>rs.save_jobs.committed</c> → <c>rs_save_jobs_committed</c>: anything outside [a-zA-Z0-9_:] becomes '_'.</summary>
    public static string MetricName(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_').ToArray();
        if (chars.Length > 0 && char.IsAsciiDigit(chars[0]))
        {
            return "_" + new string(chars);
        }

        return new string(chars);
    }

    private static string LabelName(string name)
    {
        var label = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray());
        return label.Length == 0 || char.IsAsciiDigit(label[0]) ? "_" + label : label;
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);

    private enum Shape
    {
        Counter,
        Gauge,
        Histogram,
    }

    /// <summary>
    /// Up to four tags compared by value, so the hot path allocates no key. The hash looks only at each string's
    /// length and ends (O(1), where a full string hash per measurement dominated the cost); equality is exact, and
    /// tag names and values are mostly the same string instances, which compare by reference first.
    /// </summary>
    private readonly record struct TagKey(string? K0, string? V0, string? K1, string? V1, string? K2, string? V2, string? K3, string? V3)
    {
        public bool Equals(TagKey other) =>
            string.Equals(K0, other.K0, StringComparison.Ordinal) && string.Equals(V0, other.V0, StringComparison.Ordinal)
            && string.Equals(K1, other.K1, StringComparison.Ordinal) && string.Equals(V1, other.V1, StringComparison.Ordinal)
            && string.Equals(K2, other.K2, StringComparison.Ordinal) && string.Equals(V2, other.V2, StringComparison.Ordinal)
            && string.Equals(K3, other.K3, StringComparison.Ordinal) && string.Equals(V3, other.V3, StringComparison.Ordinal);

        public override int GetHashCode() =>
            Cheap(K0) ^ (Cheap(V0) * 3) ^ (Cheap(K1) * 7) ^ (Cheap(V1) * 11) ^ (Cheap(K2) * 13) ^ (Cheap(V2) * 17) ^ (Cheap(K3) * 19) ^ (Cheap(V3) * 23);

        private static int Cheap(string? s) => s is not { Length: > 0 } ? 0 : (s.Length * 31 + s[0]) * 31 + s[^1] + (s.Length > 2 ? s[s.Length / 2] * 7 : 0);

        public static TagKey From(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            return tags.Length switch
            {
                0 => default,
                1 => new(tags[0].Key, Text(tags[0].Value), null, null, null, null, null, null),
                2 => new(tags[0].Key, Text(tags[0].Value), tags[1].Key, Text(tags[1].Value), null, null, null, null),
                3 => new(tags[0].Key, Text(tags[0].Value), tags[1].Key, Text(tags[1].Value), tags[2].Key, Text(tags[2].Value), null, null),
                _ => new(tags[0].Key, Text(tags[0].Value), tags[1].Key, Text(tags[1].Value), tags[2].Key, Text(tags[2].Value), tags[3].Key, Text(tags[3].Value)),
            };
        }

        private static string? Text(object? value) => value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture);

        public string Labels(string? extraName = null, string? extraValue = null)
        {
            var pairs = new List<(string, string)>();
            foreach (var (k, v) in new[] { (K0, V0), (K1, V1), (K2, V2), (K3, V3) })
            {
                if (k is not null)
                {
                    pairs.Add((LabelName(k), v ?? ""));
                }
            }

            if (extraName is not null)
            {
                pairs.Add((extraName, extraValue!));
            }

            return pairs.Count == 0 ? "" : "{" + string.Join(",", pairs.OrderBy(p => p.Item1 == "le" ? 1 : 0).Select(p => $"{p.Item1}=\"{Escape(p.Item2)}\"")) + "}";
        }
    }

    private sealed class Cell(int buckets)
    {
        private long bits;
        private long whole;

        public readonly long[] Buckets = new long[buckets];
        public long Count;
        public double SumValue => BitConverter.Int64BitsToDouble(Interlocked.Read(ref sumBits));
        private long sumBits;

        public double Value => BitConverter.Int64BitsToDouble(Interlocked.Read(ref bits)) + Interlocked.Read(ref whole);

        public void Add(double delta) => AddTo(ref bits, delta);

        /// <summary>Integer instruments: one interlocked add, no compare-exchange loop.</summary>
        public void Add(long delta) => Interlocked.Add(ref whole, delta);

        public void Set(double value) => Interlocked.Exchange(ref bits, BitConverter.DoubleToInt64Bits(value));

        public void Observe(double value, double[] bounds)
        {
            var i = 0;
            while (i < bounds.Length && value > bounds[i])
            {
                i++;
            }

            if (i < bounds.Length)
            {
                Interlocked.Increment(ref Buckets[i]);
            }

            Interlocked.Increment(ref Count);
            AddTo(ref sumBits, value);
        }

        private static void AddTo(ref long target, double delta)
        {
            long seen, next;
            do
            {
                seen = Interlocked.Read(ref target);
                next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + delta);
            }
            while (Interlocked.CompareExchange(ref target, next, seen) != seen);
        }
    }

    private sealed class Family
    {
        private readonly double[] bounds = [];

        public Family(Instrument instrument)
        {
            Name = MetricName(instrument.Name);
            Help = instrument.Description ?? instrument.Name;
            var type = instrument.GetType().GetGenericTypeDefinition();
            Observable = instrument.IsObservable;
            // Observable counters report running totals: they are set, not added.
            Cumulative = type == typeof(Counter<>) || type == typeof(UpDownCounter<>);
            Shape = type == typeof(Counter<>) || type == typeof(ObservableCounter<>) ? Shape.Counter
                : type == typeof(Histogram<>) ? Shape.Histogram
                : Shape.Gauge;
            if (Shape == Shape.Histogram)
            {
                bounds = AdvisedBuckets(instrument) ?? (instrument.Unit is "ms" ? MillisecondBuckets : DefaultBuckets);
            }
        }

        public string Name { get; }

        public string Help { get; }

        public bool Observable { get; }

        private bool Cumulative { get; }

        private Shape Shape { get; }

        public ConcurrentDictionary<TagKey, Cell> Series { get; } = new();

        public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (Shape == Shape.Histogram || !Cumulative)
            {
                Record((double)value, tags);
                return;
            }

            Series.GetOrAdd(TagKey.From(tags), static (_, n) => new Cell(n), bounds.Length).Add(value);
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var cell = Series.GetOrAdd(TagKey.From(tags), static (_, n) => new Cell(n), bounds.Length);
            if (Shape == Shape.Histogram)
            {
                cell.Observe(value, bounds);
            }
            else if (Cumulative)
            {
                cell.Add(value);
            }
            else
            {
                cell.Set(value);
            }
        }

        public void Write(StringBuilder text)
        {
            var name = Shape == Shape.Counter && !Name.EndsWith("_total", StringComparison.Ordinal) ? Name + "_total" : Name;
            var help = Help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(Shape switch { Shape.Counter => "counter", Shape.Histogram => "histogram", _ => "gauge" }).Append('\n');
            foreach (var (tags, cell) in Series.OrderBy(s => s.Key.Labels(), StringComparer.Ordinal))
            {
                if (Shape != Shape.Histogram)
                {
                    text.Append(name).Append(tags.Labels()).Append(' ').Append(Number(cell.Value)).Append('\n');
                    continue;
                }

                long cumulative = 0;
                for (var i = 0; i < bounds.Length; i++)
                {
                    cumulative += Interlocked.Read(ref cell.Buckets[i]);
                    text.Append(name).Append("_bucket").Append(tags.Labels("le", Number(bounds[i]))).Append(' ').Append(cumulative).Append('\n');
                }

                var count = Interlocked.Read(ref cell.Count);
                text.Append(name).Append("_bucket").Append(tags.Labels("le", "+Inf")).Append(' ').Append(count).Append('\n');
                text.Append(name).Append("_sum").Append(tags.Labels()).Append(' ').Append(Number(cell.SumValue)).Append('\n');
                text.Append(name).Append("_count").Append(tags.Labels()).Append(' ').Append(count).Append('\n');
            }
        }

        private static double[]? AdvisedBuckets(Instrument instrument) => instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
    }
}
