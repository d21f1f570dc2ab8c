using System.Diagnostics;
using System.Globalization;

namespace RealtimeSync.FanOut;

/// <summary>A process the benchmark watches: a server, Redis, the generator, or this process.</summary>
/// <param name="Role">What it is in the report ("node n2", "generator", …).</param>
internal sealed record Watched(string Role, int Pid);

/// <summary>CPU time and resident memory of processes from /proc, and the machine's CPU from /proc/stat.</summary>
internal static class ProcessStats
{
    private static readonly Lazy<long> ClockTicks = new(ReadClockTicks);

    /// <summary>utime + stime of the process, in seconds; NaN when it is gone.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (double)ticks / ClockTicks.Value;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }

    /// <summary>VmRSS in bytes; 0 when the process is gone.</summary>
    public static long RssBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    public static Snapshot Take(IReadOnlyList<Watched> processes) =>
        new(Stopwatch.GetTimestamp(), processes.ToDictionary(p => p.Role, p => CpuSeconds(p.Pid)), MachineTimes.Read());

    /// <summary>CPU of every watched process and of the machine at one moment.</summary>
    internal sealed record Snapshot(long At, IReadOnlyDictionary<string, double> Cpu, MachineTimes? Machine)
    {
        /// <summary>Cores each process used since <paramref name="start"/> (1.0 = one core busy all the time).</summary>
        public Load Since(Snapshot start)
        {
            var seconds = Stopwatch.GetElapsedTime(start.At, At).TotalSeconds;
            var cores = Cpu.ToDictionary(kv => kv.Key, kv => Math.Round((kv.Value - start.Cpu.GetValueOrDefault(kv.Key, double.NaN)) / seconds, 2));
            var (busy, steal) = Machine is { } end && start.Machine is { } begin ? end.Since(begin) : (double.NaN, double.NaN);
            var others = (busy / 100 * Environment.ProcessorCount) - cores.Values.Where(c => !double.IsNaN(c)).Sum();
            return new Load(cores, Math.Round(busy, 1), Math.Round(steal, 1), Math.Round(Math.Max(0, others), 2));
        }
    }

    /// <param name="Cores">Per watched process: CPU seconds per wall second.</param>
    /// <param name="MachineBusyPercent">All cores, everything on the machine (/proc/stat: not idle, not iowait, not steal).</param>
    /// <param name="StealPercent">Time the hypervisor gave our vCPUs to someone else.</param>
    /// <param name="OtherCores">Cores busy with processes this benchmark does not watch (other work on a shared machine).</param>
    internal sealed record Load(IReadOnlyDictionary<string, double> Cores, double MachineBusyPercent, double StealPercent, double OtherCores);

    /// <summary>The aggregate "cpu" line of /proc/stat, in clock ticks.</summary>
    internal sealed record MachineTimes(long Total, long Idle, long Steal)
    {
        public static MachineTimes? Read()
        {
            if (!File.Exists("/proc/stat"))
            {
                return null;
            }

            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal (guest time is already inside user)
            return new MachineTimes(fields.Take(8).Sum(), fields[3] + fields[4], fields[7]);
        }

        public (double BusyPercent, double StealPercent) Since(MachineTimes start)
        {
            var total = Math.Max(1, Total - start.Total);
            return (100.0 * (total - (Idle - start.Idle) - (Steal - start.Steal)) / total, 100.0 * (Steal - start.Steal) / total);
        }
    }

    private static long ReadClockTicks()
    {
        // USER_HZ: 100 on every Linux build that matters; asked anyway.
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
            var text = getconf.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return long.TryParse(text, CultureInfo.InvariantCulture, out var hz) && hz > 0 ? hz : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}
