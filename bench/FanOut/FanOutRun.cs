using RealtimeSync.FanOut.Generator;
using RealtimeSync.FanOut.Systems;

namespace RealtimeSync.FanOut;

/// <summary>Server memory per idle subscribed WebSocket: resident set after connecting minus before.</summary>
/// <param name="ManagedHeapBytesPerConnection">Only for a node in this process: the managed heap after a full GC, same difference.</param>
internal sealed record MemoryResult(string Server, bool InThisProcess, int Connections, long RssBeforeBytes, long RssAfterBytes, double BytesPerConnection, double? ManagedHeapBytesPerConnection);

internal sealed record StepResult(
    int Step,
    int TargetPerSecond,
    double PublishRate,
    int Publications,
    long Expected,
    long Receipts,
    long Missing,
    double DeliveredPerSecond,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double MaxMs,
    ProcessStats.Load Load,
    long GeneratorMaxThreadPoolQueue,
    int FailedSubscribers,
    int Attempt)
{
    public bool Passed(double maxP99Ms) => P99Ms <= maxP99Ms && Missing == 0 && FailedSubscribers == 0;
}

internal sealed record SystemResult(
    string Name,
    string Description,
    int Subscribers,
    IReadOnlyList<string> Servers,
    double ConnectSeconds,
    IReadOnlyList<MemoryResult> Memory,
    IReadOnlyList<StepResult> Steps,
    string StoppedBecause)
{
    /// <summary>The best step that kept p99 within the limit and lost nothing.</summary>
    public StepResult? Sustained(double maxP99Ms) => Steps.Where(s => s.Passed(maxP99Ms)).MaxBy(s => s.DeliveredPerSecond);
}

/// <summary>
/// Measures the systems side by side: each one's memory per idle connection while its subscribers connect
/// (all systems stay connected), then rate steps, interleaved: at each target rate every system still in
/// the race runs one step, in an order that rotates from rate to rate, so neighbours' load on a shared
/// machine falls on all of them alike. A step over the p99 limit is tried up to twice more before the
/// system stops; a system that stops is shut down at once so its backlog does not load the others.
/// </summary>
internal sealed class FanOutRun(BenchOptions options, GeneratorProcess generator)
{
    private const int WarmUpConnections = 20;
    private const int DrainMs = 10_000;
    private const int MaxAttempts = 3;

    public async Task<IReadOnlyList<SystemResult>> RunAsync(IReadOnlyList<FanOutSystem> systems)
    {
        var states = new List<SystemState>();
        for (var i = 0; i < systems.Count; i++)
        {
            states.Add(await ConnectAsync(systems[i], stepBase: (i + 1) * 1000));
        }

        var pad = new string('x', options.Pad);
        foreach (var state in states)
        {
            // Warm-up publishing (not reported): JIT and pools on the publish and delivery paths.
            await Step(state, 5_000, pad, seconds: 2, attempt: 0);
        }

        var racing = states.ToList();
        for (var k = 0; k < options.Targets.Count && racing.Count > 0; k++)
        {
            var order = racing.Skip(k % racing.Count).Concat(racing.Take(k % racing.Count)).ToList();
            foreach (var state in order)
            {
                var step = await Step(state, options.Targets[k], pad, options.Seconds, attempt: 1);
                for (var attempt = 2; attempt <= MaxAttempts && !step.Passed(options.MaxP99Ms) && step.Missing == 0 && step.FailedSubscribers == 0; attempt++)
                {
                    // Only over the p99 limit, nothing lost: try again, so a neighbour's burst does not end the race.
                    await Task.Delay(2000);
                    step = await Step(state, options.Targets[k], pad, options.Seconds, attempt);
                }

                if (StopReason(step) is { } reason)
                {
                    state.StoppedBecause = reason;
                    racing.Remove(state);
                    await StopAsync(state);
                }

                await Task.Delay(500);
            }
        }

        foreach (var state in racing)
        {
            await StopAsync(state);
        }

        return states.Select(s => new SystemResult(s.System.Name, s.System.Description, options.Subscribers, s.Servers.Select(x => x.Role).ToList(),
            s.ConnectSeconds, s.Memory, s.Steps, s.StoppedBecause)).ToList();
    }

    private string? StopReason(StepResult step)
    {
        if (step.FailedSubscribers > 0)
        {
            return $"{step.FailedSubscribers} subscribers lost their connection at {step.TargetPerSecond}/s";
        }

        if (step.Missing > 0)
        {
            return $"{step.Missing} receipts missing {DrainMs / 1000} s after the last publication at {step.TargetPerSecond}/s";
        }

        return step.P99Ms > options.MaxP99Ms ? $"p99 {step.P99Ms:0} ms > {options.MaxP99Ms:0} ms at {step.TargetPerSecond}/s ({MaxAttempts} tries)" : null;
    }

    /// <summary>Starts the system, connects its subscribers, measures its servers' memory per connection.</summary>
    private async Task<SystemState> ConnectAsync(FanOutSystem system, int stepBase)
    {
        Log($"{system.Name}: starting ({system.Description})");
        await system.StartAsync();
        var state = new SystemState(system, stepBase);
        var servers = system.Servers;
        state.Watched.AddRange(servers.Select(s => new Watched(s.Role, s.Pid)).Concat(system.Backing).Append(new Watched("generator", generator.Pid)));
        if (!servers.Any(s => s.InThisProcess))
        {
            state.Watched.Add(new Watched("bench (orchestrator)", Environment.ProcessId));
        }

        // Warm-up: the first connections JIT the connect and subscribe paths; that is not per-connection memory.
        foreach (var server in servers)
        {
            await Connect(system, server, WarmUpConnections, $"{system.Name}-warm-up");
        }

        await generator.RequireAsync(new GeneratorCommand("disconnect", $"{system.Name}-warm-up"));
        await Task.Delay(TimeSpan.FromSeconds(2));

        var heapBefore = ManagedHeap(servers);
        var rssBefore = servers.ToDictionary(s => s.Role, s => ProcessStats.RssBytes(s.Pid));
        var perServer = options.Subscribers / servers.Count;
        foreach (var server in servers)
        {
            state.ConnectSeconds += (await Connect(system, server, perServer, system.Name)).Seconds;
        }

        // Idle: let the servers finish whatever connecting started (handshake buffers, timers) before reading.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var heapAfter = ManagedHeap(servers);
        state.Memory.AddRange(servers.Select(s =>
        {
            var after = ProcessStats.RssBytes(s.Pid);
            return new MemoryResult(s.Role, s.InThisProcess, perServer, rssBefore[s.Role], after, Math.Round((after - rssBefore[s.Role]) / (double)perServer),
                s.InThisProcess && heapBefore is { } b && heapAfter is { } a ? Math.Round((a - b) / (double)perServer) : null);
        }));
        Log($"{system.Name}: {options.Subscribers} subscribed in {state.ConnectSeconds:0.0} s; per connection: "
            + string.Join(", ", state.Memory.Select(m => $"{m.Server} {m.BytesPerConnection / 1024:0.0} KiB" + (m.ManagedHeapBytesPerConnection is { } h ? $" (managed heap {h / 1024:0.0} KiB)" : ""))));
        return state;
    }

    private async Task StopAsync(SystemState state)
    {
        Log($"{state.System.Name}: {state.StoppedBecause}; stopping it");
        await generator.RequireAsync(new GeneratorCommand("disconnect", state.System.Name));
        await state.System.DisposeAsync();
    }

    private async Task<GeneratorReply> Connect(FanOutSystem system, Server server, int count, string group) =>
        await generator.RequireAsync(new GeneratorCommand("connect", group, system.Protocol, server.Address.ToString(), count, system.Token, system.Channel));

    private async Task<StepResult> Step(SystemState state, int target, string pad, int seconds, int attempt)
    {
        var system = state.System;
        var step = state.NextStep++;
        var rate = (double)target / options.Subscribers;
        var count = Math.Max(3, (int)Math.Ceiling(rate * seconds));
        var startUs = MonotonicClock.NowUs() + 200_000;
        var lastDueUs = startUs + (long)Math.Round((count - 1) * 1_000_000 / rate);
        var expected = (long)count * options.Subscribers;

        await generator.RequireAsync(new GeneratorCommand("load")); // resets the generator's queue peak
        var publishing = system.PublishAsync(step, rate, count, startUs, pad);
        while (MonotonicClock.NowUs() < startUs)
        {
            await Task.Delay(1);
        }

        var before = ProcessStats.Take(state.Watched);
        var timeoutMs = (int)Math.Max(0, (lastDueUs - MonotonicClock.NowUs()) / 1000) + DrainMs;
        var stats = (await generator.RequireAsync(new GeneratorCommand("stats", Step: step, Expected: expected, TimeoutMs: timeoutMs))).Stats!;
        var load = ProcessStats.Take(state.Watched).Since(before);
        await publishing.WaitAsync(TimeSpan.FromSeconds(30));
        var queue = (await generator.RequireAsync(new GeneratorCommand("load"))).MaxThreadPoolQueue;
        var health = await generator.RequireAsync(new GeneratorCommand("health", system.Name));

        // Delivered per second over the step: from the first due time to the last receipt (or one interval
        // after the last due time, when everything arrived sooner), so a backlog lowers the figure.
        var windowUs = Math.Max(lastDueUs + (1_000_000 / rate), stats.LastAtUs) - startUs;
        var result = new StepResult(
            step,
            target,
            Math.Round(rate, 3),
            count,
            expected,
            stats.Receipts,
            expected - stats.Receipts,
            Math.Round(stats.Receipts / (windowUs / 1_000_000.0)),
            Round(stats.P50Ms),
            Round(stats.P90Ms),
            Round(stats.P99Ms),
            Round(stats.MaxMs),
            load,
            queue,
            health.Failed,
            attempt);
        if (attempt > 0)
        {
            state.Steps.Add(result);
            Log($"{system.Name,-8} target {target,7}/s{(attempt > 1 ? $" (try {attempt})" : "")} delivered {result.DeliveredPerSecond,7:0}/s p50 {result.P50Ms,6:0.0} ms p99 {result.P99Ms,6:0.0} ms missing {result.Missing}"
                + $"  cores: {string.Join(", ", load.Cores.Select(kv => $"{kv.Key} {kv.Value:0.00}"))}; others {load.OtherCores:0.00}; machine {load.MachineBusyPercent:0}%");
        }

        return result;
    }

    /// <summary>The managed heap after a full GC when a node runs in this process (so the GC is ours to force).</summary>
    private static long? ManagedHeap(IReadOnlyList<Server> servers) =>
        servers.Any(s => s.InThisProcess) ? GC.GetTotalMemory(forceFullCollection: true) : null;

    private static double Round(double ms) => double.IsNaN(ms) ? double.NaN : Math.Round(ms, 2);

    private static void Log(string message) => Console.Error.WriteLine($"[fan-out] {message}");

    private sealed class SystemState(FanOutSystem system, int stepBase)
    {
        public FanOutSystem System { get; } = system;

        public IReadOnlyList<Server> Servers => System.Servers;

        public List<Watched> Watched { get; } = [];

        public List<MemoryResult> Memory { get; } = [];

        public List<StepResult> Steps { get; } = [];

        public double ConnectSeconds { get; set; }

        public int NextStep { get; set; } = stepBase;

        public string StoppedBecause { get; set; } = "every step passed";
    }
}
