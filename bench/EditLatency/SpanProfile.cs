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
            ShouldListenTo = source => source.Name is "RealtimeSync" or "Npgsql" or "Microsoft.AspNetCore",
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
        var edits = 0;
        foreach (var trace in spans.GroupBy(s => s.TraceId))
        {
            var list = trace.ToList();
            var request = list.FirstOrDefault(s => s.OperationName == RequestSpan);
            if (request is null || list.All(s => s.OperationName != "entity.edit"))
            {
                continue; // not an edit request, or its request span ended outside the recorded window
            }

            edits++;
            foreach (var span in list)
            {
                var label = Label(span);
                if (!steps.TryGetValue(label, out var step))
                {
                    steps[label] = step = ([], []);
                }

                step.Starts.Add((span.StartTimeUtc - request.StartTimeUtc).TotalMilliseconds);
                step.Durations.Add(span.Duration.TotalMilliseconds);
            }
        }

        return steps
            .Select(s => new SpanStep(s.Key, edits == 0 ? 0 : (double)s.Value.Starts.Count / edits,
                Percentile(s.Value.Starts, 0.50), Percentile(s.Value.Starts, 0.99),
                Percentile(s.Value.Durations, 0.50), Percentile(s.Value.Durations, 0.99), edits))
            .OrderBy(s => s.StartP50)
            .ToList();
    }

    private static string Label(Activity span)
    {
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

/// <summary>A step of the edit path: per edit count, start offset and duration (ms) at p50 / p99.</summary>
internal sealed record SpanStep(string Step, double PerEdit, double StartP50, double StartP99, double DurationP50, double DurationP99, int Edits)
{
    public string Row(string backend) => string.Create(CultureInfo.InvariantCulture,
        $"| {backend} | {Step} | {PerEdit:0.##} | {StartP50:0.00} / {StartP99:0.00} | {DurationP50:0.00} / {DurationP99:0.00} |");
}
