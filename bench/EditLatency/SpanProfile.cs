using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace RealtimeSync.EditLatency;

/// <summary>
/// With <c>--spans</c>: where one edit spends its wall time, from the spans the product already emits (request,
/// edit, merge, commit, change feed, history append, fan-out) plus Npgsql's per-command spans. Every span of an
/// edit's trace is placed on that trace's timeline (offset from the server's request start), so the table shows
/// both how long each step takes and the waits between steps (a step that starts long after the previous one
/// ended waited for a thread-pool thread). Listening costs a little CPU, so it is off for the headline figures.
/// </summary>
internal sealed class SpanProfile : IDisposable
{
    private const string RequestSpan = "Microsoft.AspNetCore.Hosting.HttpRequestIn";
    private readonly ActivityListener listener;
    private readonly ConcurrentQueue<Activity> spans = new();
    private volatile bool recording;

    public SpanProfile()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "RealtimeSync" or "Npgsql" or "Microsoft.AspNetCore" or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (recording)
                {
                    spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
    }

    /// <summary>Only spans that end while this is true are kept (the measured edit phases).</summary>
    public bool Recording
    {
        get => recording;
        set => recording = value;
    }

    public void Dispose() => listener.Dispose();

    /// <summary>One row per step: how many per edit, when it starts after the request began, and how long it takes.</summary>
    public IReadOnlyList<SpanStep> Summarize()
    {
        var steps = new Dictionary<string, (List<double> Starts, List<double> Durations)>(StringComparer.Ordinal);
        var traces = new List<(double PushedAt, List<(string Label, double Start, double Duration)> Spans)>();
        foreach (var trace in spans.GroupBy(s => s.TraceId))
        {
            var list = trace.ToList();
            var request = list.FirstOrDefault(s => s.OperationName == RequestSpan);
            if (request is null || list.All(s => s.OperationName != "entity.edit"))
            {
                continue; // not an edit request, or its request span ended outside the recorded window
            }

            var placed = list.Select(span => (Label: Label(span), Start: (span.StartTimeUtc - request.StartTimeUtc).TotalMilliseconds, Duration: span.Duration.TotalMilliseconds)).ToList();
            var fanOuts = placed.Where(p => p.Label == "fanout.deliver").ToList();
            traces.Add((fanOuts.Count == 0 ? double.NaN : fanOuts.Max(p => p.Start + p.Duration), placed));
            foreach (var span in placed)
            {
                if (!steps.TryGetValue(span.Label, out var step))
                {
                    steps[span.Label] = step = ([], []);
                }

                step.Starts.Add(span.Start);
                step.Durations.Add(span.Duration);
            }
        }

        // The tail: the 1 % of edits whose fan-out ended latest after their request began; the mean of each step there.
        var tail = traces.Where(t => !double.IsNaN(t.PushedAt)).OrderByDescending(t => t.PushedAt).Take(Math.Max(1, traces.Count / 100)).SelectMany(t => t.Spans)
            .GroupBy(s => s.Label, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (Start: g.Average(s => s.Start), Duration: g.Average(s => s.Duration)), StringComparer.Ordinal);
        var edits = traces.Count;
        return steps
            .Select(s => new SpanStep(s.Key, edits == 0 ? 0 : (double)s.Value.Starts.Count / edits,
                Percentile(s.Value.Starts, 0.50), Percentile(s.Value.Starts, 0.99),
                Percentile(s.Value.Durations, 0.50), Percentile(s.Value.Durations, 0.99), edits,
                tail.TryGetValue(s.Key, out var t) ? t.Start : double.NaN, tail.TryGetValue(s.Key, out t) ? t.Duration : double.NaN))
            .OrderBy(s => s.StartP50)
            .ToList();
    }

    private static string Label(Activity span)
    {
        if (span.Source.Name == "System.Net.Http")
        {
            return "http request (bench client)";
        }

        if (span.Source.Name != "Npgsql")
        {
            return span.OperationName == RequestSpan ? "http request (server)" : span.OperationName;
        }

        // Npgsql names its spans after the database; the statement's first words say which command it was.
        var text = (span.GetTagItem("db.query.text") ?? span.GetTagItem("db.statement")) as string ?? span.DisplayName;
        var words = text.Split([' ', '\n', '\t', '\r'], 4, StringSplitOptions.RemoveEmptyEntries);
        return "db: " + string.Join(' ', words.Take(3));
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        return values[Math.Min(values.Count - 1, (int)Math.Ceiling(p * values.Count) - 1)];
    }
}

/// <summary>
/// A step of the edit path: per edit count, start offset and duration (ms) at p50 / p99, and their means over the
/// slowest 1 % of edits (by when their fan-out ended).
/// </summary>
internal sealed record SpanStep(string Step, double PerEdit, double StartP50, double StartP99, double DurationP50, double DurationP99, int Edits, double TailStart, double TailDuration)
{
    public string Row(string backend) => string.Create(CultureInfo.InvariantCulture,
        $"| {backend} | {Step} | {PerEdit:0.##} | {StartP50:0.00} / {StartP99:0.00} | {DurationP50:0.00} / {DurationP99:0.00} | {TailStart:0.00} / {TailDuration:0.00} |");
}
