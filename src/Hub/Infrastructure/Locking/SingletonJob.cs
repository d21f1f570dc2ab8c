using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace RealtimeSync.Hub.Infrastructure.Locking;

/// <summary>Background work that must run on one node at a time (sweepers, cleanups).</summary>
public interface ISingletonJob
{
    /// <summary>The lock's name; also the job's name in logs and metrics.</summary>
    string Name { get; }

    /// <summary>Pause between two runs while this node holds the lock.</summary>
    TimeSpan Interval { get; }

    /// <summary>
    /// One pass. <paramref name="ct"/> is cancelled when the node stops or loses the lock; pass
    /// <see cref="SingletonJobContext.FencingToken"/> with writes that a stale owner must not make, and call
    /// <see cref="SingletonJobContext.ThrowIfNotOwner"/> before a step that must not start on a lost lease.
    /// </summary>
    Task RunOnceAsync(SingletonJobContext context, CancellationToken ct);
}

/// <summary>One pass's view of the job's lock.</summary>
public sealed class SingletonJobContext(LockLease lease, string node)
{
    /// <summary>Strictly greater than that of every earlier holder of the job's lock.</summary>
    public long FencingToken => lease.FencingToken;

    /// <summary>This node's id.</summary>
    public string Node => node;

    /// <summary>
    /// Throws <see cref="OperationCanceledException"/> when the lease is lost or its time has run out unconfirmed;
    /// checks the clock itself, so it holds in a pass that resumes late after a pause.
    /// </summary>
    public void ThrowIfNotOwner()
    {
        if (lease.IsLost)
        {
            lease.MarkLost();
            throw new OperationCanceledException($"The lock of {lease.Name} is lost", lease.Lost);
        }
    }
}

/// <summary><c>Locking:TtlSeconds</c> (default 15): how long a lock outlives a holder that died without releasing it.</summary>
public sealed class SingletonJobOptions
{
    public int TtlSeconds { get; set; } = 15;
}

/// <summary>
/// Runs one <see cref="ISingletonJob"/>: contends for its lock, and while it holds it runs the job every
/// <see cref="ISingletonJob.Interval"/> with the lease's fencing token. When the lease is lost the running pass is
/// cancelled at once and the node goes back to contending; another node takes over within the TTL of a dead owner.
/// </summary>
public sealed partial class SingletonJobRunner(ISingletonJob job, IDistributedLock locks, IOptionsMonitor<SingletonJobOptions> options, string node, ILogger log, TimeProvider? clock = null) : BackgroundService
{
    // The pause between passes follows the host's clock (a test moves it); lock TTLs and renewals stay on real time.
    private readonly TimeProvider clock = clock ?? TimeProvider.System;

    public bool IsOwner { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LockMetrics.Track(this, job.Name);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var ttl = TimeSpan.FromSeconds(Math.Clamp(options.CurrentValue.TtlSeconds, 1, 3600));
                LockLease? lease = null;
                try
                {
                    lease = await locks.TryAcquireAsync(job.Name, ttl, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogAcquireFailed(log, job.Name, e);
                }

                if (lease is null)
                {
                    await Wait(Min(job.Interval, ttl / 3), stoppingToken);
                    continue;
                }

                await RunWhileOwnerAsync(lease, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the node stops
        }
    }

    private async Task RunWhileOwnerAsync(LockLease lease, CancellationToken stoppingToken)
    {
        await using var _ = lease;
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lease.Lost);
        IsOwner = true;
        LockMetrics.Acquired.Add(1, new KeyValuePair<string, object?>("job", job.Name));
        LogAcquired(log, job.Name, lease.FencingToken);
        try
        {
            var context = new SingletonJobContext(lease, node);
            while (!both.IsCancellationRequested)
            {
                // Checks the clock, not only the token: after a pause the lease's timer may not have fired yet.
                context.ThrowIfNotOwner();
                try
                {
                    await job.RunOnceAsync(context, both.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRunFailed(log, job.Name, e);
                }

                await Task.Delay(job.Interval, clock, both.Token);
            }
        }
        catch (OperationCanceledException) when (lease.IsLost && !stoppingToken.IsCancellationRequested)
        {
            // fall through: lost
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the node stops; the lease is released below
        }
        finally
        {
            IsOwner = false;
        }

        if (lease.IsLost && !stoppingToken.IsCancellationRequested)
        {
            LockMetrics.Lost.Add(1, new KeyValuePair<string, object?>("job", job.Name));
            LogStoppedLost(log, job.Name, lease.FencingToken);
        }
    }

    private static async Task Wait(TimeSpan delay, CancellationToken ct) => await Task.Delay(delay, ct);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(EventId = 7111, Level = LogLevel.Information, Message = "Singleton job {Job} runs on this node (fencing token {Token})")]
    private static partial void LogAcquired(ILogger logger, string job, long token);

    [LoggerMessage(EventId = 7112, Level = LogLevel.Warning, Message = "Singleton job {Job} stopped: lock lost (fencing token {Token})")]
    private static partial void LogStoppedLost(ILogger logger, string job, long token);

    [LoggerMessage(EventId = 7113, Level = LogLevel.Warning, Message = "Singleton job {Job}: lock not acquired (lock store unreachable)")]
    private static partial void LogAcquireFailed(ILogger logger, string job, Exception e);

    [LoggerMessage(EventId = 7114, Level = LogLevel.Error, Message = "Singleton job {Job}: a run failed")]
    private static partial void LogRunFailed(ILogger logger, string job, Exception e);
}

/// <summary>Lock instruments on the product meter.</summary>
public static class LockMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");
    private static readonly List<(WeakReference<SingletonJobRunner> Runner, string Job)> Runners = [];

    public static readonly Counter<long> Acquired = Meter.CreateCounter<long>("rs.lock.acquired", description: "Singleton job locks acquired by job");

    public static readonly Counter<long> Lost = Meter.CreateCounter<long>("rs.lock.lost", description: "Singleton job locks lost while running, by job");

    static LockMetrics()
    {
        Meter.CreateObservableGauge("rs.lock.owned", Observe, description: "1 while this node holds the job's lock");
    }

    internal static void Track(SingletonJobRunner runner, string job)
    {
        lock (Runners)
        {
            Runners.RemoveAll(r => !r.Runner.TryGetTarget(out _));
            Runners.Add((new WeakReference<SingletonJobRunner>(runner), job));
        }
    }

    private static IEnumerable<Measurement<int>> Observe()
    {
        lock (Runners)
        {
            // One series per job: OpenTelemetry keeps only one measurement per tag set, and a test process runs several
            // hosts (one runner each), so the process reports 1 when any of its runners holds the job's lock.
            return Runners.Select(r => (r.Job, Owner: r.Runner.TryGetTarget(out var runner) ? (int?)(runner.IsOwner ? 1 : 0) : null))
                .Where(r => r.Owner is not null).GroupBy(r => r.Job, StringComparer.Ordinal)
                .Select(g => new Measurement<int>(g.Max(r => r.Owner!.Value), new KeyValuePair<string, object?>("job", g.Key))).ToList();
        }
    }
}
