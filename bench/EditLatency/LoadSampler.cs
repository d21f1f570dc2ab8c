using System.Diagnostics;
using System.Globalization;

namespace RealtimeSync.EditLatency;

/// <summary>How loaded the machine and this process were during one phase.</summary>
/// <param name="ProcessCores">CPU time of this process (host + subscribers) per wall second: 2.0 = both cores.</param>
/// <param name="MachineBusyPercent">All cores, everything on the machine (/proc/stat: not idle, not iowait).</param>
/// <param name="StealPercent">Time the hypervisor gave our vCPUs to someone else: the "noisy neighbour" share.</param>
/// <param name="MaxThreadPoolQueue">Largest thread-pool backlog seen (sampled every 20 ms); a long queue means work waits for a thread.</param>
/// <param name="Collections">Garbage collections in this process during the phase (every generation).</param>
/// <param name="GcPauseMs">Time this process's threads were paused by the garbage collector during the phase.</param>
/// <param name="PeakWorkingSetMb">Largest working set of this process seen (sampled every 20 ms).</param>
internal sealed record PhaseLoad(Mode Mode, int Phase, double Seconds, double ProcessCores, double MachineBusyPercent, double StealPercent, long MaxThreadPoolQueue, int MaxThreads, int Collections, double GcPauseMs, double PeakWorkingSetMb);

/// <summary>Measures one phase: start before the first send, <see cref="StopAsync"/> after the drain.</summary>
internal sealed class LoadSampler
{
    private readonly Mode mode;
    private readonly int phase;
    private readonly long started = Stopwatch.GetTimestamp();
    private readonly TimeSpan cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly CpuTimes? machineAtStart = CpuTimes.Read();
    private readonly int collectionsAtStart = GC.CollectionCount(0);
    private readonly TimeSpan pausedAtStart = GC.GetTotalPauseDuration();
    private readonly CancellationTokenSource stop = new();
    private readonly Task sampling;
    private long maxQueue;
    private int maxThreads;
    private long maxWorkingSet;

    public LoadSampler(Mode mode, int phase)
    {
        this.mode = mode;
        this.phase = phase;
        sampling = SampleAsync();
    }

    public async Task<PhaseLoad> StopAsync()
    {
        await stop.CancelAsync();
        await sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stop.Dispose();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds;
        var (busy, steal) = CpuTimes.Read() is { } end && machineAtStart is { } start ? end.Since(start) : (double.NaN, double.NaN);
        return new PhaseLoad(mode, phase, seconds, cpu / seconds, busy, steal, maxQueue, maxThreads,
            GC.CollectionCount(0) - collectionsAtStart, (GC.GetTotalPauseDuration() - pausedAtStart).TotalMilliseconds, maxWorkingSet / 1048576.0);
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (await timer.WaitForNextTickAsync(stop.Token))
        {
            maxQueue = Math.Max(maxQueue, ThreadPool.PendingWorkItemCount);
            maxThreads = Math.Max(maxThreads, ThreadPool.ThreadCount);
            maxWorkingSet = Math.Max(maxWorkingSet, Environment.WorkingSet);
        }
    }

    /// <summary>The aggregate "cpu" line of /proc/stat, in clock ticks.</summary>
    private sealed record CpuTimes(long Total, long Idle, long Steal)
    {
        public static CpuTimes? Read()
        {
            if (!File.Exists("/proc/stat"))
            {
                return null;
            }

            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal (guest time is already inside user)
            var total = fields.Take(8).Sum();
            return new CpuTimes(total, fields[3] + fields[4], fields[7]);
        }

        public (double BusyPercent, double StealPercent) Since(CpuTimes start)
        {
            var total = Math.Max(1, Total - start.Total);
            return (100.0 * (total - (Idle - start.Idle) - (Steal - start.Steal)) / total, 100.0 * (Steal - start.Steal) / total);
        }
    }
}
