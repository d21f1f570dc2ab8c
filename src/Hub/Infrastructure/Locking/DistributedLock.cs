using System.Diagnostics;

namespace RealtimeSync.Hub.Infrastructure.Locking;

/// <summary>
/// A named lock held by at most one node at a time: Redis (<see cref="RedisDistributedLock"/>) when Redis is
/// configured, otherwise in-process (<see cref="InProcessDistributedLock"/>, embedded mode has one node).
/// </summary>
public interface IDistributedLock
{
    /// <summary>The lease, or null when another owner holds the lock. The lease renews itself until disposed or lost.</summary>
    Task<LockLease?> TryAcquireAsync(string name, TimeSpan ttl, CancellationToken ct = default);
}

/// <summary>
/// Ownership of a lock. <see cref="FencingToken"/> is strictly greater than every token handed out before for the
/// same name: pass it with protected writes (<see cref="IFencedWrites"/>) so a stale owner that has not noticed it
/// lost the lock (a GC pause, a partition) cannot overwrite its successor's work. A lease with a time to live also
/// counts as lost from the moment its key could have expired without a renewal confirming it (measured on this
/// process's monotonic clock from when the last confirmed acquire or renewal was sent), even if the renewal loop has
/// not run since: a process that was paused longer than the lease does not go on as the owner.
/// </summary>
public abstract class LockLease : IAsyncDisposable
{
    private readonly CancellationTokenSource lost = new();
    private long validUntil = long.MaxValue;

    protected LockLease(string name, long fencingToken)
    {
        Name = name;
        FencingToken = fencingToken;
    }

    public string Name { get; }

    public long FencingToken { get; }

    /// <summary>
    /// Cancelled as soon as ownership can no longer be proven (renewal failed or refused, or the lease's time ran out
    /// unconfirmed); stop the work then.
    /// </summary>
    public CancellationToken Lost => lost.Token;

    /// <summary>Exact at the moment it is read, unlike <see cref="Lost"/>, whose timer a starved process may run late.</summary>
    public bool IsLost => lost.IsCancellationRequested || Stopwatch.GetTimestamp() >= Volatile.Read(ref validUntil);

    /// <summary>Releases the lock if this lease still owns it.</summary>
    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        lost.Dispose();
        GC.SuppressFinalize(this);
    }

    protected abstract ValueTask ReleaseAsync();

    /// <summary>
    /// The lock store confirmed ownership for <paramref name="ttl"/> from a command sent at <paramref name="sentAt"/>
    /// (a <see cref="Stopwatch"/> timestamp): the lease is valid until then, less an allowance for clock-rate drift
    /// between this process and the store (1 % + 2 ms).
    /// </summary>
    protected void Confirm(long sentAt, TimeSpan ttl)
    {
        if (IsLost)
        {
            // A confirmation that comes after the lease ran out does not revive it: the work has been told to stop.
            MarkLost();
            return;
        }

        var valid = ttl - (ttl / 100) - TimeSpan.FromMilliseconds(2);
        var until = sentAt + (long)(valid.TotalSeconds * Stopwatch.Frequency);
        Volatile.Write(ref validUntil, until);
        try
        {
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until);
            lost.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
        catch (ObjectDisposedException)
        {
            // already released
        }
    }

    internal void MarkLost()
    {
        try
        {
            lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // already released
        }
    }
}
