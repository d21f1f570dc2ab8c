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
/// lost the lock (a GC pause, a partition) cannot overwrite its successor's work.
/// </summary>
public abstract class LockLease : IAsyncDisposable
{
    private readonly CancellationTokenSource lost = new();

    protected LockLease(string name, long fencingToken)
    {
        Name = name;
        FencingToken = fencingToken;
    }

    public string Name { get; }

    public long FencingToken { get; }

    /// <summary>Cancelled as soon as ownership can no longer be proven (renewal failed or refused); stop the work then.</summary>
    public CancellationToken Lost => lost.Token;

    public bool IsLost => lost.IsCancellationRequested;

    /// <summary>Releases the lock if this lease still owns it.</summary>
    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        lost.Dispose();
        GC.SuppressFinalize(this);
    }

    protected abstract ValueTask ReleaseAsync();

    protected void MarkLost()
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
