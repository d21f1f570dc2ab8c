using System.Collections.Concurrent;

namespace RealtimeSync.Hub.Infrastructure.Persistence;

/// <summary>One async turn at a time per SQLite database file, for this process's write transactions.</summary>
public sealed class SqliteWriteGate
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    public async Task<IDisposable> EnterAsync(string connectionString, CancellationToken ct)
    {
        var gate = gates.GetOrAdd(connectionString, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Turn(gate);
    }

    private sealed class Turn(SemaphoreSlim gate) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
