using System.Diagnostics;

namespace RealtimeSync.EditLatency;

/// <summary>Latency distribution in milliseconds (nearest-rank percentiles).</summary>
internal sealed record Distribution(long Count, double P50, double P90, double P99, double Max)
{
    public static Distribution Of(List<double> values)
    {
        if (values.Count == 0)
        {
            return new Distribution(0, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        return new Distribution(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.90), Rank(sorted, 0.99), sorted[^1]);
    }

    private static double Rank(double[] sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

/// <summary>Machine and process load over one mode's measured phases (see <see cref="PhaseLoad"/>).</summary>
internal sealed record ModeLoad(double ProcessCores, double MachineBusyPercent, double StealPercent, long MaxThreadPoolQueue, int MaxThreads, int Collections, double GcPauseMsPerSecond, double PeakWorkingSetMb)
{
    public static ModeLoad Of(IReadOnlyList<PhaseLoad> phases)
    {
        var seconds = phases.Sum(p => p.Seconds);
        return new ModeLoad(
            phases.Sum(p => p.ProcessCores * p.Seconds) / seconds,
            phases.Sum(p => p.MachineBusyPercent * p.Seconds) / seconds,
            phases.Sum(p => p.StealPercent * p.Seconds) / seconds,
            phases.Max(p => p.MaxThreadPoolQueue),
            phases.Max(p => p.MaxThreads),
            phases.Sum(p => p.Collections),
            phases.Sum(p => p.GcPauseMs) / seconds,
            phases.Max(p => p.PeakWorkingSetMb));
    }
}

/// <summary>One mode's measured phases (warm-up excluded).</summary>
/// <param name="Receipt">Call → receipt, over every (message, subscriber) receipt: the headline number.</param>
/// <param name="Pushed">Call → the server's group send returned (for edits: after merge, persist, change feed read-back).</param>
/// <param name="FirstReceipt">Call → the first subscriber has it, per message.</param>
/// <param name="LastReceipt">Call → the last subscriber has it, per fully delivered message.</param>
/// <param name="Response">Edits: call → PATCH response received.</param>
/// <param name="FromSchedule">Time the message was due on the fixed-rate schedule → receipt: includes waiting for a busy entity (open-loop view).</param>
/// <param name="PhaseReceipts">The receipt distribution of each measured phase, to see drift and noise.</param>
internal sealed record ModeResult(
    int Messages,
    int Failed,
    int Late,
    long MissingReceipts,
    Distribution Receipt,
    Distribution Pushed,
    Distribution FirstReceipt,
    Distribution LastReceipt,
    Distribution? Response,
    Distribution FromSchedule,
    IReadOnlyList<Distribution> PhaseReceipts,
    ModeLoad Load);

/// <param name="OverheadP50Ms">Edits minus baseline, receipt p50.</param>
/// <param name="OverheadP99Ms">Edits minus baseline, receipt p99 (the goal: ≤ 10 ms on SQLite).</param>
internal sealed record BackendResult(
    string Backend,
    ModeResult Baseline,
    ModeResult Edits,
    double OverheadP50Ms,
    double OverheadP99Ms,
    double RatioP50,
    double RatioP99,
    int DroppedSubscribers,
    double WorstScheduleSlipMs,
    string LoadAverageBefore,
    string LoadAverageAfter,
    IReadOnlyList<PhaseLoad> Phases,
    IReadOnlyList<SpanStep> EditSteps)
{
    public static BackendResult From(string backend, Timeline timeline, IReadOnlyList<PhaseLoad> loads, int dropped, TimeSpan slip, string loadBefore, string loadAfter, IReadOnlyList<SpanStep> steps)
    {
        var baseline = Mode(timeline, EditLatency.Mode.Baseline, loads);
        var edits = Mode(timeline, EditLatency.Mode.Edits, loads);
        return new BackendResult(
            backend,
            baseline,
            edits,
            edits.Receipt.P50 - baseline.Receipt.P50,
            edits.Receipt.P99 - baseline.Receipt.P99,
            edits.Receipt.P50 / baseline.Receipt.P50,
            edits.Receipt.P99 / baseline.Receipt.P99,
            dropped,
            slip.TotalMilliseconds,
            loadBefore,
            loadAfter,
            loads,
            steps);
    }

    private static ModeResult Mode(Timeline timeline, Mode mode, IReadOnlyList<PhaseLoad> loads)
    {
        var receipts = new List<double>();
        var byPhase = new SortedDictionary<int, List<double>>();
        var pushed = new List<double>();
        var first = new List<double>();
        var last = new List<double>();
        var response = new List<double>();
        var fromSchedule = new List<double>();
        int messages = 0, failed = 0, late = 0;
        long missing = 0;
        for (var n = 0; n < timeline.Count; n++)
        {
            var m = timeline.Message(n);
            if (m.Mode != mode || m.Phase == Timeline.WarmUp)
            {
                continue;
            }

            messages++;
            late += m.Late ? 1 : 0;
            if (m.Failed)
            {
                failed++;
                continue;
            }

            missing += timeline.Subscribers - m.Receipts;
            if (m.Pushed != 0)
            {
                pushed.Add(Ms(m.Sent, m.Pushed));
            }

            if (m.Responded != 0)
            {
                response.Add(Ms(m.Sent, m.Responded));
            }

            if (!byPhase.TryGetValue(m.Phase, out var phase))
            {
                byPhase[m.Phase] = phase = [];
            }

            long earliest = long.MaxValue, latest = 0;
            foreach (var at in timeline.Receipts(n))
            {
                if (at == 0)
                {
                    continue;
                }

                var ms = Ms(m.Sent, at);
                receipts.Add(ms);
                phase.Add(ms);
                fromSchedule.Add(Ms(m.Due, at));
                earliest = Math.Min(earliest, at);
                latest = Math.Max(latest, at);
            }

            if (m.Receipts > 0)
            {
                first.Add(Ms(m.Sent, earliest));
            }

            if (m.Receipts == timeline.Subscribers)
            {
                last.Add(Ms(m.Sent, latest));
            }
        }

        return new ModeResult(
            messages,
            failed,
            late,
            missing,
            Distribution.Of(receipts),
            Distribution.Of(pushed),
            Distribution.Of(first),
            Distribution.Of(last),
            mode == EditLatency.Mode.Edits ? Distribution.Of(response) : null,
            Distribution.Of(fromSchedule),
            byPhase.Values.Select(Distribution.Of).ToList(),
            ModeLoad.Of(loads.Where(l => l.Mode == mode).ToList()));
    }

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}
