using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace RealtimeSync.Client.Internal;

/// <summary>
/// The client's one SQLite file: <c>entities</c> (the server's state and version, and the local view with the
/// pending changes above it), <c>outbox_events</c> and <c>sync_state</c> (the pull cursor per tenant and client).
/// One connection, one operation at a time; every change that must survive a crash is one transaction.
/// </summary>
internal sealed class LocalStore : IAsyncDisposable
{
    private readonly SqliteConnection connection;
    private readonly SemaphoreSlim gate = new(1, 1);

    private LocalStore(SqliteConnection connection) => this.connection = connection;

    public static async Task<LocalStore> OpenAsync(string path, CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(ct);
        await using (var command = connection.CreateCommand())
        {
            // WAL: a process killed mid-write loses at most the transaction it was in, never a committed one.
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                PRAGMA busy_timeout = 5000;
                CREATE TABLE IF NOT EXISTS entities (
                    tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
                    server_version INTEGER NOT NULL DEFAULT 0, server_fields TEXT NULL,
                    fields TEXT NULL, deleted INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (tenant, type, id));
                CREATE TABLE IF NOT EXISTS outbox_events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,
                    operation TEXT NOT NULL, payload TEXT NOT NULL, base_version INTEGER NOT NULL,
                    created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_attempt_at TEXT NULL,
                    status TEXT NOT NULL, error TEXT NULL,
                    conflict_reason TEXT NULL, server_data TEXT NULL, conflicting_fields TEXT NULL);
                CREATE INDEX IF NOT EXISTS ix_outbox_status ON outbox_events (status, seq);
                CREATE INDEX IF NOT EXISTS ix_outbox_entity ON outbox_events (tenant, entity_type, entity_id, seq);
                CREATE TABLE IF NOT EXISTS sync_state (
                    tenant TEXT NOT NULL, client_id TEXT NOT NULL, cursor TEXT NULL, last_sync_at TEXT NULL,
                    PRIMARY KEY (tenant, client_id));
                """;
            await command.ExecuteNonQueryAsync(ct);
        }

        return new LocalStore(connection);
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, alone on the connection.</summary>
    public async Task<T> InTransactionAsync<T>(Func<Tx, Task<T>> work, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            var result = await work(new Tx(connection, transaction));
            await transaction.CommitAsync(ct);
            return result;
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await connection.DisposeAsync();
        gate.Dispose();
    }

    internal static string Name(OutboxStatus status) => status.ToString().ToUpperInvariant();

    internal static string Name(EntityOperation operation) => operation.ToString().ToUpperInvariant();

    /// <summary>The statements, bound to one open transaction.</summary>
    internal sealed class Tx(SqliteConnection connection, SqliteTransaction transaction)
    {
        private static readonly string[] Overlaid = [Name(OutboxStatus.Pending), Name(OutboxStatus.Sent), Name(OutboxStatus.Conflict)];

        public async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] args)
        {
            await using var command = Command(sql, args);
            return await command.ExecuteNonQueryAsync();
        }

        public async Task<object?> ScalarAsync(string sql, params (string Name, object? Value)[] args)
        {
            await using var command = Command(sql, args);
            var value = await command.ExecuteScalarAsync();
            return value is DBNull ? null : value;
        }

        public async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] args)
        {
            await using var command = Command(sql, args);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<T>();
            while (await reader.ReadAsync())
            {
                rows.Add(map(reader));
            }

            return rows;
        }

        public async Task<EntityRow?> EntityAsync(string tenant, string type, string id) =>
            (await QueryAsync("SELECT server_version, server_fields, fields, deleted FROM entities WHERE tenant = $t AND type = $y AND id = $i",
                r => new EntityRow(r.GetInt64(0), Json(r, 1), Json(r, 2), r.GetInt64(3) != 0), ("$t", tenant), ("$y", type), ("$i", id))).FirstOrDefault();

        /// <summary>Sets what the server has (null fields: the server does not have it, or it is deleted there).</summary>
        public Task SetServerStateAsync(string tenant, string type, string id, long version, JsonObject? fields) =>
            ExecuteAsync("""
                INSERT INTO entities (tenant, type, id, server_version, server_fields) VALUES ($t, $y, $i, $v, $f)
                ON CONFLICT (tenant, type, id) DO UPDATE SET server_version = excluded.server_version, server_fields = excluded.server_fields
                """, ("$t", tenant), ("$y", type), ("$i", id), ("$v", version), ("$f", fields?.ToJsonString()));

        /// <summary>The entities of a tenant with a pending, sent or conflicting change: their local view is more than the server's state.</summary>
        public async Task<HashSet<(string Type, string Id)>> OverlaidEntitiesAsync(string tenant) =>
            (await QueryAsync(
                $"SELECT DISTINCT entity_type, entity_id FROM outbox_events WHERE tenant = $t AND status IN ('{string.Join("','", Overlaid)}')",
                r => (r.GetString(0), r.GetString(1)), ("$t", tenant))).ToHashSet();

        /// <summary>
        /// A pulled state for an entity with no unsent change (see <see cref="OverlaidEntitiesAsync"/>): the server's
        /// state and the local view (the same fields) in one statement, what <see cref="SetServerStateAsync"/> then
        /// <see cref="RecomputeAsync"/> would write for it. Left alone when the store already has a newer server
        /// version (an acknowledgement brought it); false then.
        /// </summary>
        public async Task<bool> SetPulledStateAsync(string tenant, string type, string id, long version, string? fields) =>
            await ExecuteAsync("""
                INSERT INTO entities (tenant, type, id, server_version, server_fields, fields, deleted) VALUES ($t, $y, $i, $v, $f, $f, $d)
                ON CONFLICT (tenant, type, id) DO UPDATE SET server_version = excluded.server_version, server_fields = excluded.server_fields,
                    fields = excluded.fields, deleted = excluded.deleted
                WHERE entities.server_version <= excluded.server_version
                """, ("$t", tenant), ("$y", type), ("$i", id), ("$v", version), ("$f", fields), ("$d", fields is null ? 1 : 0)) > 0;

        /// <summary>
        /// The local view: the server's fields with every pending, sent or conflicting change of this entity above
        /// them, in the order they were made. Called after every change to either side, so a pulled server state
        /// never hides an edit the server has not seen yet.
        /// </summary>
        public async Task RecomputeAsync(string tenant, string type, string id)
        {
            var row = await EntityAsync(tenant, type, id);
            var fields = row?.ServerFields?.DeepClone().AsObject();
            var pending = await QueryAsync(
                $"SELECT operation, payload FROM outbox_events WHERE tenant = $t AND entity_type = $y AND entity_id = $i AND status IN ('{string.Join("','", Overlaid)}') ORDER BY seq",
                r => (r.GetString(0), JsonNode.Parse(r.GetString(1))!.AsObject()), ("$t", tenant), ("$y", type), ("$i", id));
            foreach (var (operation, payload) in pending)
            {
                if (operation == Name(EntityOperation.Delete))
                {
                    fields = null;
                    continue;
                }

                fields = operation == Name(EntityOperation.Create) ? [] : fields ?? [];
                foreach (var (key, value) in payload)
                {
                    fields[key] = value?.DeepClone();
                }
            }

            await ExecuteAsync("""
                INSERT INTO entities (tenant, type, id, fields, deleted) VALUES ($t, $y, $i, $f, $d)
                ON CONFLICT (tenant, type, id) DO UPDATE SET fields = excluded.fields, deleted = excluded.deleted
                """, ("$t", tenant), ("$y", type), ("$i", id), ("$f", fields?.ToJsonString()), ("$d", fields is null ? 1 : 0));
        }

        public Task SetStatusAsync(string eventId, OutboxStatus status, string? error) =>
            ExecuteAsync("UPDATE outbox_events SET status = $s, error = $e WHERE id = $id", ("$s", Name(status)), ("$e", error), ("$id", eventId));

        /// <summary>
        /// Later unsent events of an entity were made on top of the client's own earlier change: once the server
        /// has that change at <paramref name="version"/>, they start from it (not from the older version, which would
        /// make the client conflict with itself).
        /// </summary>
        public Task RebaseAsync(string tenant, string type, string id, long version) =>
            ExecuteAsync($"UPDATE outbox_events SET base_version = $v WHERE tenant = $t AND entity_type = $y AND entity_id = $i AND status IN ('{Name(OutboxStatus.Pending)}', '{Name(OutboxStatus.Sent)}')",
                ("$v", version), ("$t", tenant), ("$y", type), ("$i", id));

        public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

        private static JsonObject? Json(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : JsonNode.Parse(r.GetString(i))!.AsObject();

        private SqliteCommand Command(string sql, (string Name, object? Value)[] args)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            foreach (var (name, value) in args)
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }

            return command;
        }
    }

    internal sealed record EntityRow(long ServerVersion, JsonObject? ServerFields, JsonObject? Fields, bool Deleted);
}
