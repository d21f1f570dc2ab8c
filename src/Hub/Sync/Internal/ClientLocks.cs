using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.Sync.Internal;

/// <summary>
/// Serializes one sync client's uploads so its events apply in order, across nodes: on PostgreSQL a session
/// advisory lock on a connection of its own (released by the server if this node dies mid-batch); on SQLite,
/// which is one node's file, an in-process gate. The local gate is taken first in both cases so one node
/// never parks several pooled connections on the same advisory lock.
/// </summary>
internal sealed class ClientLocks
{
    private readonly ConcurrentDictionary<string, Gate> gates = new(StringComparer.Ordinal);

    public async Task<IAsyncDisposable> AcquireAsync(RealtimeSyncDb db, string tenant, string clientId, CancellationToken ct)
    {
        var key = tenant + "\0" + clientId;
        Gate gate;
        lock (gates)
        {
            gate = gates.GetOrAdd(key, _ => new Gate());
            gate.Users++;
        }

        try
        {
            await gate.Semaphore.WaitAsync(ct);
        }
        catch
        {
            Leave(key, gate);
            throw;
        }

        NpgsqlConnection? connection = null;
        try
        {
            if (!db.Database.IsSqlite())
            {
                connection = new NpgsqlConnection(db.Database.GetConnectionString());
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection);
                command.Parameters.AddWithValue("key", LockKey(key));
                await command.ExecuteNonQueryAsync(ct);
            }
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            gate.Semaphore.Release();
            Leave(key, gate);
            throw;
        }

        return new Lease(this, key, gate, connection);
    }

    private void Leave(string key, Gate gate)
    {
        lock (gates)
        {
            if (--gate.Users == 0)
            {
                gates.TryRemove(key, out _);
            }
        }
    }

    private static long LockKey(string key) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("rs-sync-client\0" + key)), 0);

    private sealed class Gate
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Lease(ClientLocks owner, string key, Gate gate, NpgsqlConnection? connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (connection is not null)
            {
                try
                {
                    await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
                    command.Parameters.AddWithValue("key", LockKey(key));
                    await command.ExecuteNonQueryAsync(CancellationToken.None);
                }
                finally
                {
                    // Closing the session releases the lock in any case; the pool resets the connection.
                    await connection.DisposeAsync();
                }
            }

            gate.Semaphore.Release();
            owner.Leave(key, gate);
        }
    }
}
