using System.Collections.Concurrent;

namespace RealtimeSync.Hub.Infrastructure.Locking;

/// <summary>Embedded mode: one process, so a lock is an entry in a dictionary; fencing tokens still increase.</summary>
public sealed class InProcessDistributedLock : IDistributedLock
{
    private readonly ConcurrentDictionary<string, Lease> held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> fences = new(StringComparer.Ordinal);

    public Task<LockLease?> TryAcquireAsync(string name, TimeSpan ttl, CancellationToken ct = default)
    {
        var token = fences.AddOrUpdate(name, 1, (_, last) => last + 1);
        var lease = new Lease(this, name, token);
        return Task.FromResult<LockLease?>(held.TryAdd(name, lease) ? lease : null);
    }

    private sealed class Lease(InProcessDistributedLock owner, string name, long token) : LockLease(name, token)
    {
        protected override ValueTask ReleaseAsync()
        {
            owner.held.TryRemove(new KeyValuePair<string, Lease>(Name, this));
            return ValueTask.CompletedTask;
        }
    }
}
