using System.Globalization;
using System.Text.Json;
using RealtimeSync.FanOut.Generator;

namespace RealtimeSync.FanOut;

/// <summary>The issue's goals, checked against the same run's systems.</summary>
/// <param name="VsSocketIo">Product sustained ÷ Socket.IO sustained (goal ≥ 1.5, at equal or lower p99).</param>
/// <param name="ProductP99AtGoalMs">Product p99 at its first passing step that delivers ≥ 1.5 × Socket.IO's sustained rate.</param>
/// <param name="SocketIoP99Ms">Socket.IO's p99 at its sustained step.</param>
/// <param name="VsUpperBound">Product sustained ÷ upper bound sustained (goal ≥ 0.75).</param>
/// <param name="SeparateNodeBytesPerConnection">RSS growth per idle connection of node 2, the separately running node (goal ≤ 20 KiB).</param>
internal sealed record Goals(
    string Product,
    double? VsSocketIo,
    double? ProductP99AtGoalMs,
    double? SocketIoP99Ms,
    bool? ThroughputGoalMet,
    double? VsUpperBound,
    bool? UpperBoundGoalMet,
    double? SeparateNodeBytesPerConnection,
    bool? MemoryGoalMet)
{
    public const double ThroughputFactor = 1.5;
    public const double UpperBoundShare = 0.75;
    public const double MaxBytesPerConnection = 20 * 1024;

    /// <summary>The goals of each product system of the run (JSON and MessagePack), each against the same Socket.IO.</summary>
    public static IReadOnlyList<Goals> CheckAll(IReadOnlyList<SystemResult> results, double maxP99Ms) =>
        results.Where(r => r.Name.StartsWith("product", StringComparison.Ordinal)).Select(r => Check(results, maxP99Ms, r.Name)).ToList();

    public static Goals Check(IReadOnlyList<SystemResult> results, double maxP99Ms, string productName = "product")
    {
        var product = results.FirstOrDefault(r => r.Name == productName);
        var socketIo = results.FirstOrDefault(r => r.Name == "socketio");
        var upper = results.FirstOrDefault(r => r.Name == "upper");
        var p = product?.Sustained(maxP99Ms);
        var s = socketIo?.Sustained(maxP99Ms);
        var u = upper?.Sustained(maxP99Ms);

        double? vsSocketIo = p is not null && s is not null ? p.DeliveredPerSecond / s.DeliveredPerSecond : null;
        var atGoal = s is null ? null : product?.Steps
            .Where(x => x.P99Ms <= maxP99Ms && x.Missing == 0 && x.FailedSubscribers == 0 && x.DeliveredPerSecond >= ThroughputFactor * s.DeliveredPerSecond)
            .MinBy(x => x.DeliveredPerSecond);
        bool? throughputMet = product is null || socketIo is null ? null : atGoal is not null && atGoal.P99Ms <= s!.P99Ms;
        if (product is not null && socketIo is not null && p is null)
        {
            throughputMet = false;
        }

        double? vsUpper = p is not null && u is not null ? p.DeliveredPerSecond / u.DeliveredPerSecond : null;
        var node2 = product?.Memory.FirstOrDefault(m => !m.InThisProcess);
        // A one-node bound that the two nodes beat was cut short by the machine (see others' cores), not a bound.
        return new Goals(
            productName,
            vsSocketIo,
            atGoal?.P99Ms,
            s?.P99Ms,
            throughputMet,
            vsUpper,
            vsUpper is { } v ? (v > 1 ? null : v >= UpperBoundShare) : product is not null && upper is not null ? false : null,
            node2?.BytesPerConnection,
            node2 is null ? null : node2.BytesPerConnection <= MaxBytesPerConnection);
    }
}

/// <summary>The Markdown summary on stdout and the full JSON under bench/results/.</summary>
internal static class Report
{
    public static void Print(TextWriter o, BenchOptions options, IReadOnlyList<SystemResult> results, IReadOnlyList<Goals> allGoals)
    {
        o.WriteLine($"## Fan-out: {options.Subscribers:N0} WebSocket subscribers on one channel, one publisher, {options.Seconds} s per step, payload filler {options.Pad} B, stop at p99 > {F(options.MaxP99Ms)} ms");
        o.WriteLine();
        o.WriteLine("Latency = receipt at a subscriber − the publication's due time (one monotonic clock); delivered/s = receipts ÷ (first due time → last receipt).");
        o.WriteLine("Cores = CPU seconds per wall second of each process during the step (2 cores in all); queue = the generator's largest thread-pool backlog.");
        foreach (var r in results)
        {
            o.WriteLine();
            o.WriteLine($"### {r.Name}: {r.Description}");
            o.WriteLine();
            o.WriteLine("| target/s | publish/s | delivered/s | p50 ms | p90 ms | p99 ms | max ms | missing | server cores | redis | generator cores (queue) | other processes' cores | machine busy / steal |");
            o.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
            foreach (var s in r.Steps)
            {
                var serverCores = string.Join(" + ", r.Servers.Select(name => $"{Short(name)} {F(s.Load.Cores.GetValueOrDefault(name, double.NaN))}"));
                o.WriteLine($"| {s.TargetPerSecond:N0}{(s.Attempt > 1 ? $" (try {s.Attempt})" : "")} | {F(s.PublishRate)} | {s.DeliveredPerSecond:N0} | {F(s.P50Ms)} | {F(s.P90Ms)} | {F(s.P99Ms)} | {F(s.MaxMs)} | {s.Missing} | {serverCores} | "
                    + $"{(s.Load.Cores.TryGetValue("redis", out var redis) ? F(redis) : "–")} | {F(s.Load.Cores.GetValueOrDefault("generator", double.NaN))} ({s.GeneratorMaxThreadPoolQueue}) | {F(s.Load.OtherCores)} | {F(s.Load.MachineBusyPercent)} % / {F(s.Load.StealPercent)} % |");
            }

            o.WriteLine();
            o.WriteLine($"Stopped: {r.StoppedBecause}. Connecting and subscribing {r.Subscribers:N0}: {F(r.ConnectSeconds)} s.");
        }

        o.WriteLine();
        o.WriteLine("### Summary");
        o.WriteLine();
        o.WriteLine($"| system | sustained delivered/s (p99 ≤ {F(options.MaxP99Ms)} ms, none missing) | p50 / p99 there, ms | cores there: servers / redis / generator / others | server memory per idle connection (RSS growth) |");
        o.WriteLine("|---|---:|---|---|---|");
        foreach (var r in results)
        {
            var s = r.Sustained(options.MaxP99Ms);
            var memory = string.Join("; ", r.Memory.Select(m => $"{Short(m.Server)}: {Kib(m.BytesPerConnection)}" + (m.ManagedHeapBytesPerConnection is { } h ? $" (managed heap {Kib(h)})" : "")));
            var cores = s is null ? "–" : $"{F(r.Servers.Sum(name => s.Load.Cores.GetValueOrDefault(name)))} / {(s.Load.Cores.TryGetValue("redis", out var redis) ? F(redis) : "–")} / {F(s.Load.Cores.GetValueOrDefault("generator", double.NaN))} / {F(s.Load.OtherCores)}";
            o.WriteLine($"| {r.Name} | {(s is null ? "none" : s.DeliveredPerSecond.ToString("N0", CultureInfo.InvariantCulture))} | {(s is null ? "–" : $"{F(s.P50Ms)} / {F(s.P99Ms)}")} | {cores} | {memory} |");
        }

        var generator = results.SelectMany(r => r.Steps).ToList();
        if (generator.Count > 0)
        {
            o.WriteLine();
            o.WriteLine($"Generator check: the subscriber process used at most {F(generator.Max(s => s.Load.Cores.GetValueOrDefault("generator")))} cores in any step "
                + $"(mean {F(generator.Average(s => s.Load.Cores.GetValueOrDefault("generator")))}), and its thread-pool backlog peaked at {generator.Max(s => s.GeneratorMaxThreadPoolQueue)} queued work items.");
            var busy = generator.Where(s => s.DeliveredPerSecond >= 20_000).ToList();
            if (busy.Count > 0)
            {
                // Its cost per receipt, from the steps busy enough for the fixed costs (heartbeats, sampling) not to count.
                o.WriteLine($"Generator cost: {F(busy.Average(s => s.Load.Cores.GetValueOrDefault("generator") / s.DeliveredPerSecond * 1e6))} µs CPU per receipt (mean over steps ≥ 20,000 delivered/s; "
                    + string.Join(", ", results.Select(r => r.Steps.Where(s => s.DeliveredPerSecond >= 20_000).ToList() is { Count: > 0 } own ? $"{r.Name} {F(own.Average(s => s.Load.Cores.GetValueOrDefault("generator") / s.DeliveredPerSecond * 1e6))}" : null).OfType<string>()) + ").");
            }
        }

        foreach (var goals in allGoals)
        {
            PrintGoals(o, goals);
        }

        var capped = results.Where(r => r.StoppedBecause == "every step passed").Select(r => r.Name).ToList();
        if (capped.Count > 0)
        {
            o.WriteLine();
            o.WriteLine($"Note: {string.Join(", ", capped)} passed every step: its sustained figure is a floor (raise --targets).");
        }
    }

    private static void PrintGoals(TextWriter o, Goals goals)
    {
        o.WriteLine();
        o.WriteLine($"Goals for {goals.Product}:");

        o.WriteLine();
        o.WriteLine("| goal | measured | verdict |");
        o.WriteLine("|---|---|---|");
        o.WriteLine($"| ≥ {F(Goals.ThroughputFactor)}× Socket.IO's sustained delivered/s at equal or lower p99 | {(goals.VsSocketIo is { } v ? $"{F(v)}×" : "–")}; {goals.Product} p99 at ≥ {F(Goals.ThroughputFactor)}× Socket.IO's rate {Ms(goals.ProductP99AtGoalMs)} vs Socket.IO's p99 {Ms(goals.SocketIoP99Ms)} | {Verdict(goals.ThroughputGoalMet)} |");
        o.WriteLine($"| within 25 % of the one-node upper bound | {(goals.VsUpperBound is { } u ? $"{F(u * 100)} % of it" : "–")} | {(goals.VsUpperBound > 1 ? "inconclusive: the bound measured below the product in this run" : Verdict(goals.UpperBoundGoalMet))} |");
        o.WriteLine($"| ≤ 20 KiB server memory per idle WebSocket (node 2, its own process) | {(goals.SeparateNodeBytesPerConnection is { } b ? Kib(b) : "–")} | {Verdict(goals.MemoryGoalMet)} |");
    }

    public static string WriteJson(string folder, BenchOptions options, IReadOnlyList<SystemResult> results, IReadOnlyList<Goals> goals)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"fan-out-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        var document = new
        {
            measuredAt = DateTimeOffset.UtcNow,
            machine = new { Environment.ProcessorCount, Environment.MachineName, runtime = Environment.Version.ToString() },
            options = new { options.Subscribers, options.Seconds, options.Targets, options.MaxP99Ms, options.Pad, options.Systems },
            goals,
            results = results.Select(r => new { system = r, sustained = r.Sustained(options.MaxP99Ms) }),
        };
        var json = new JsonSerializerOptions(BenchJson.Options) { WriteIndented = true };
        File.WriteAllText(path, JsonSerializer.Serialize(document, json));
        return path;
    }

    private static string Short(string server) => server.Replace(" (in-process)", "*", StringComparison.Ordinal).Replace("node ", "", StringComparison.Ordinal);

    private static string Verdict(bool? met) => met switch { true => "**met**", false => "**not met**", null => "not measured" };

    private static string Ms(double? ms) => ms is { } v ? $"{F(v)} ms" : "–";

    private static string Kib(double bytes) => $"{F(bytes / 1024)} KiB";

    private static string F(double v) => double.IsNaN(v) ? "–" : v.ToString(Math.Abs(v) >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture);
}
