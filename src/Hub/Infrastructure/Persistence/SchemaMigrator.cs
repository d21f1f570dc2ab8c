using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace RealtimeSync.Hub.Infrastructure.Persistence;

/// <summary>
/// Applies the hand-written, versioned SQL migrations embedded in this assembly
/// (<c>Migrations/{Sqlite|Postgres}/NNNN_name.sql</c>), one set per database, reviewed as SQL;
/// `EnsureCreated` cannot evolve a schema, so the product owns its migrations:
/// each is applied once, in order, in its own transaction, and recorded with a checksum so an
/// edited migration is detected instead of silently diverging between environments.
/// </summary>
public sealed partial class SchemaMigrator(RealtimeSyncDb db, ILogger<SchemaMigrator> log)
{
    // Any constant works; it only has to be the same on every node so concurrent start-ups queue up.
    private const long PostgresLockKey = 0x5253_4D49_4752; // "RSMIGR"

    public static IReadOnlyList<Migration> Scripts(string provider)
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var prefix = $"migrations/{provider}/";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[prefix.Length..^".sql".Length];
                var separator = file.IndexOf('_');
                var version = int.Parse(file[..separator], System.Globalization.CultureInfo.InvariantCulture);
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!, Encoding.UTF8);
                var sql = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
                return new Migration(version, file[(separator + 1)..], sql, Checksum(sql));
            })
            .OrderBy(m => m.Version)
            .ToList();
    }

    public string Provider => db.Database.ProviderName?.Contains("Npgsql", StringComparison.Ordinal) == true ? "Postgres" : "Sqlite";

    /// <summary>Applies pending migrations; returns the ones applied by this call.</summary>
    public async Task<IReadOnlyList<Migration>> MigrateAsync(CancellationToken ct = default)
    {
        var provider = Provider;
        var scripts = Scripts(provider);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (provider == "Postgres")
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({PostgresLockKey})", ct);
            }
            else
            {
                // WAL lets readers run alongside the single writer; it is a property of the file, set once.
                await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL", ct);
            }

            try
            {
                await ExecuteAsync(connection, null, provider == "Postgres"
                    ? "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL)"
                    : "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)", ct);

                var applied = new List<Migration>();
                foreach (var script in scripts)
                {
                    if (await ApplyOneAsync(connection, provider, script, scripts, ct))
                    {
                        applied.Add(script);
                        LogApplied(log, provider, script.Version, script.Name);
                    }
                }

                return applied;
            }
            finally
            {
                if (provider == "Postgres")
                {
                    await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({PostgresLockKey})", CancellationToken.None);
                }
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<bool> ApplyOneAsync(DbConnection connection, string provider, Migration script, IReadOnlyList<Migration> known, CancellationToken ct)
    {
        // SQLite: BEGIN IMMEDIATE takes the write lock up front, so two processes starting on the same
        // file serialize here and the second one sees the first one's row.
        DbTransaction? tx = null;
        if (provider == "Sqlite")
        {
            await ExecuteAsync(connection, null, "BEGIN IMMEDIATE", ct);
        }
        else
        {
            tx = await connection.BeginTransactionAsync(ct);
        }

        var committed = false;
        try
        {
            var existing = await ReadAppliedAsync(connection, tx, ct);
            var unknown = existing.Keys.Where(v => known.All(m => m.Version != v)).ToList();
            if (unknown.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The database has schema migration(s) {string.Join(", ", unknown)} that this build does not know; it was migrated by a newer version.");
            }

            if (existing.TryGetValue(script.Version, out var checksum))
            {
                if (checksum != script.Checksum)
                {
                    throw new InvalidOperationException(
                        $"Schema migration {script.Version:D4}_{script.Name} was changed after it was applied (checksum {checksum} in the database, {script.Checksum} in this build). Add a new migration instead of editing an applied one.");
                }

                return false;
            }

            await ExecuteAsync(connection, tx, script.Sql, ct);
            await using (var record = connection.CreateCommand())
            {
                record.Transaction = tx;
                record.CommandText = "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@v, @n, @c, @a)";
                AddParameter(record, "@v", script.Version);
                AddParameter(record, "@n", script.Name);
                AddParameter(record, "@c", script.Checksum);
                AddParameter(record, "@a", provider == "Postgres" ? DateTimeOffset.UtcNow : DateTimeOffset.UtcNow.ToString("O"));
                await record.ExecuteNonQueryAsync(ct);
            }

            if (tx is null)
            {
                await ExecuteAsync(connection, null, "COMMIT", ct);
            }
            else
            {
                await tx.CommitAsync(ct);
            }

            committed = true;
            return true;
        }
        finally
        {
            if (!committed)
            {
                if (tx is null)
                {
                    await ExecuteAsync(connection, null, "ROLLBACK", CancellationToken.None);
                }
                else
                {
                    await tx.RollbackAsync(CancellationToken.None);
                }
            }

            if (tx is not null)
            {
                await tx.DisposeAsync();
            }
        }
    }

    private static async Task<Dictionary<int, string>> ReadAppliedAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT version, checksum FROM schema_migrations";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var result = new Dictionary<int, string>();
        while (await reader.ReadAsync(ct))
        {
            result[Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)] = reader.GetString(1);
        }

        return result;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }

    private static string Checksum(string sql) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied {Provider} schema migration {Version} {MigrationName}")]
    private static partial void LogApplied(ILogger logger, string provider, int version, string migrationName);
}

public sealed record Migration(int Version, string Name, string Sql, string Checksum);
