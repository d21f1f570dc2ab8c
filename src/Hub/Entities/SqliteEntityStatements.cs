using System.Data.Common;
using Microsoft.Data.Sqlite;
using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// A single edit's statements on SQLite, run on the file's writer thread inside the edit's transaction (which holds
/// SQLite's write lock from its first statement, so the row read here cannot move before the commit): read the row,
/// write it, insert the change-log row. Plain parameterised commands instead of EF Core's query and change tracking:
/// every microsecond of the writer thread is one every later write of the file waits for. Values are bound with the
/// same CLR types EF Core binds (Microsoft.Data.Sqlite stores a <see cref="DateTimeOffset"/> as the same text, a
/// bool as 0/1), so EF Core reads these rows exactly as it reads its own.
/// </summary>
internal static class SqliteEntityStatements
{
    private const string Columns = "tenant_id, entity_type, id, version, fields, field_versions, deleted, deleted_at, deleted_by, created_at, created_by, updated_at, updated_by";

    public static async Task<EntityRow?> ReadAsync(DbConnection connection, DbTransaction tx, string tenant, string type, string id, CancellationToken ct)
    {
        await using var command = Command(connection, tx, $"SELECT {Columns} FROM entities WHERE tenant_id = $1 AND entity_type = $2 AND id = $3", tenant, type, id);
        await using var reader = (SqliteDataReader)await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new EntityRow
        {
            TenantId = reader.GetString(0),
            EntityType = reader.GetString(1),
            Id = reader.GetString(2),
            Version = reader.GetInt64(3),
            Fields = reader.GetString(4),
            FieldVersions = reader.GetString(5),
            Deleted = reader.GetBoolean(6),
            DeletedAt = reader.IsDBNull(7) ? null : reader.GetDateTimeOffset(7),
            DeletedBy = reader.IsDBNull(8) ? null : reader.GetString(8),
            CreatedAt = reader.GetDateTimeOffset(9),
            CreatedBy = reader.GetString(10),
            UpdatedAt = reader.GetDateTimeOffset(11),
            UpdatedBy = reader.GetString(12),
        };
    }

    /// <summary>
    /// Inserts a created row, or writes the row read in this transaction (an update or delete; the parameters of the
    /// columns an update leaves alone are bound and unused).
    /// </summary>
    public static async Task WriteAsync(DbConnection connection, DbTransaction tx, EntityRow row, bool created, CancellationToken ct)
    {
        var sql = created
            ? $"INSERT INTO entities ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            : "UPDATE entities SET version = $4, fields = $5, field_versions = $6, deleted = $7, deleted_at = $8, deleted_by = $9, " +
              "updated_at = $12, updated_by = $13 WHERE tenant_id = $1 AND entity_type = $2 AND id = $3";
        await using var command = Command(
            connection,
            tx,
            sql,
            row.TenantId,
            row.EntityType,
            row.Id,
            row.Version,
            row.Fields,
            row.FieldVersions,
            row.Deleted,
            row.DeletedAt,
            row.DeletedBy,
            row.CreatedAt,
            row.CreatedBy,
            row.UpdatedAt,
            row.UpdatedBy);
        if (await command.ExecuteNonQueryAsync(ct) != 1)
        {
            throw new InvalidOperationException($"Entity {row.EntityType}/{row.Id} of {row.TenantId} was not written.");
        }
    }

    public static async Task InsertChangeAsync(DbConnection connection, DbTransaction tx, ChangeRow change, CancellationToken ct)
    {
        await using var command = Command(
            connection,
            tx,
            "INSERT INTO changes (tenant_id, seq, entity_type, entity_id, operation, version, changed, conflicts, actor, origin, occurred_at) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            change.TenantId,
            change.Seq,
            change.EntityType,
            change.EntityId,
            change.Operation,
            change.Version,
            change.Changed,
            change.Conflicts,
            change.Actor,
            change.Origin,
            change.OccurredAt);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction tx, string sql, params object?[] values)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "$" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            parameter.Value = values[i] ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}
