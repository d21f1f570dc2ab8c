using System.Globalization;
using System.Text.Json;

namespace RealtimeSync.EditLatency;

/// <summary>The Markdown summary on stdout and the full JSON under bench/results/.</summary>
internal static class Report
{
    /// <summary>Issue 17's goal: merge + persist + push add at most this much to p99 (10 ms on SQLite, 15 ms on PostgreSQL), with no late edit.</summary>
    public static double GoalP99OverheadMs(string backend) => backend == "postgres" ? 15 : 10;

    public static void Print(TextWriter o, BenchOptions options, IReadOnlyList<BackendResult> results)
    {
        o.WriteLine($"## Edit-to-screen latency: {options.Subscribers} subscribers, {options.Rate}/s, " +
                    $"{options.Phases} × ({options.Seconds} s baseline + {options.Seconds} s edits), warm-up {options.WarmUpSeconds} s + {options.WarmUpSeconds} s, {options.Entities} entities");
        o.WriteLine();
        o.WriteLine("Call → receipt at every subscriber, ms (baseline = bare SignalR group send of the same payload):");
        o.WriteLine();
        o.WriteLine("| backend | mode | messages | receipts | missing | p50 | p90 | p99 | max |");
        o.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Row(o, r.Backend, "baseline", r.Baseline);
            Row(o, r.Backend, "edits", r.Edits);
        }

        o.WriteLine();
        o.WriteLine("| backend | overhead p50 | overhead p99 | ratio p50 | ratio p99 | goal (p99 +≤10 ms SQLite, +≤15 ms PostgreSQL, 0 late) | late edits | failed edits | dropped subscribers | load avg before → after |");
        o.WriteLine("|---|---:|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var limit = GoalP99OverheadMs(r.Backend);
            var goal = r.OverheadP99Ms > limit ? $"missed by {F(r.OverheadP99Ms - limit)} ms"
                : r.Edits.Late > 0 ? $"missed: {r.Edits.Late} late"
                : "met";
            o.WriteLine($"| {r.Backend} | {Signed(r.OverheadP50Ms)} | {Signed(r.OverheadP99Ms)} | {F(r.RatioP50)}× | {F(r.RatioP99)}× | {goal} | {r.Edits.Late} | {r.Edits.Failed} | {r.DroppedSubscribers} | {r.LoadAverageBefore} → {r.LoadAverageAfter} |");
        }

        o.WriteLine();
        o.WriteLine("Where the time goes, ms p50 / p99 (pushed = the server's group send returned, for edits after merge, persist, commit and the change feed's read-back; due = the fixed-rate schedule slot, so it includes waiting for a busy entity):");
        o.WriteLine();
        o.WriteLine("| backend | mode | call → PATCH response | call → pushed | call → first receipt | call → last receipt | due → receipt | receipt p99 per phase |");
        o.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            Breakdown(o, r.Backend, "baseline", r.Baseline);
            Breakdown(o, r.Backend, "edits", r.Edits);
        }

        o.WriteLine();
        o.WriteLine("Load during the measured phases (process = this process, host and subscribers; machine = all cores, everyone; steal = vCPU time taken by the hypervisor; collections, GC pause and working set are this process's):");
        o.WriteLine();
        o.WriteLine("| backend | mode | process cores | machine busy | steal | max thread-pool queue | max threads | collections | GC pause ms/s | peak working set MB |");
        o.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            LoadRow(o, r.Backend, "baseline", r.Baseline.Load);
            LoadRow(o, r.Backend, "edits", r.Edits.Load);
        }

        if (results.Any(r => r.EditSteps.Count > 0))
        {
            o.WriteLine();
            o.WriteLine($"Edit path from spans (--spans), ms p50 / p99: start = offset from the server's request start, so a gap between one step's end and the next one's start is a wait (thread pool, locks); the last column is the mean over the 1 % of edits whose fan-out ended last; edits = {string.Join(", ", results.Select(r => $"{r.Backend} {r.EditSteps.FirstOrDefault()?.Edits ?? 0}"))}:");
            o.WriteLine();
            o.WriteLine("| backend | step | per edit | start | duration | slowest 1 %: start / duration (mean) |");
            o.WriteLine("|---|---|---:|---|---|---|");
            foreach (var r in results)
            {
                foreach (var step in r.EditSteps)
                {
                    o.WriteLine(step.Row(r.Backend));
                }
            }
        }
    }

    public static string WriteJson(string folder, BenchOptions options, IReadOnlyList<BackendResult> results)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"edit-latency-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        var document = new
        {
            measuredAt = DateTimeOffset.UtcNow,
            machine = new { Environment.ProcessorCount, Environment.MachineName, runtime = Environment.Version.ToString() },
            options = new { options.Subscribers, options.Rate, options.Seconds, options.Phases, options.WarmUpSeconds, options.Entities },
            goalP99OverheadMs = results.ToDictionary(r => r.Backend, r => GoalP99OverheadMs(r.Backend)),
            results,
        };
        var json = new JsonSerializerOptions(JsonSerializerOptions.Web)
        {
            WriteIndented = true,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, json));
        return path;
    }

    private static void Row(TextWriter o, string backend, string mode, ModeResult m) =>
        o.WriteLine($"| {backend} | {mode} | {m.Messages} | {m.Receipt.Count} | {m.MissingReceipts} | {F(m.Receipt.P50)} | {F(m.Receipt.P90)} | {F(m.Receipt.P99)} | {F(m.Receipt.Max)} |");

    private static void Breakdown(TextWriter o, string backend, string mode, ModeResult m) =>
        o.WriteLine($"| {backend} | {mode} | {(m.Response is { } r ? Pair(r) : "–")} | {Pair(m.Pushed)} | {Pair(m.FirstReceipt)} | {Pair(m.LastReceipt)} | {Pair(m.FromSchedule)} | {string.Join(", ", m.PhaseReceipts.Select(p => F(p.P99)))} |");

    private static void LoadRow(TextWriter o, string backend, string mode, ModeLoad l) =>
        o.WriteLine($"| {backend} | {mode} | {F(l.ProcessCores)} | {F(l.MachineBusyPercent)} % | {F(l.StealPercent)} % | {l.MaxThreadPoolQueue} | {l.MaxThreads} | {l.Collections} | {F(l.GcPauseMsPerSecond)} | {l.PeakWorkingSetMb:0} |");

    private static string Pair(Distribution d) => $"{F(d.P50)} / {F(d.P99)}";

    private static string Signed(double value) => value >= 0 ? $"+{F(value)}" : $"-{F(-value)}";

    private static string F(double value) => double.IsNaN(value) ? "–" : value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
}
