using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// A single edit on PostgreSQL as one statement: the entity row is written only if it is still the version the
/// merge was decided on (a create only if the id is still free), and only then is the tenant counter advanced and
/// the change-log row inserted — one round trip, one implicit transaction. No lock is held while the node waits
/// (for the network or for a thread-pool thread): the counter row is locked from the upsert to the statement's
/// commit inside the server, which keeps sequence numbers committing in order (<see cref="TenantSequence"/>).
/// When the row moved meanwhile nothing is written and the caller decides again on the new row.
/// </summary>
internal static class EntityStatement
{
    private const string Sequence = """
        , seq AS (
            INSERT INTO tenant_counters (tenant_id, last_seq) SELECT $1, 1 FROM written
            ON CONFLICT (tenant_id) DO UPDATE SET last_seq = tenant_counters.last_seq + 1
            RETURNING last_seq)
        INSERT INTO changes (tenant_id, seq, entity_type, entity_id, operation, version, changed, conflicts, actor, origin, occurred_at)
        SELECT $1, last_seq, $2, $3, $14, $4, $15, $16, $17, $18, $19 FROM seq
        RETURNING seq
        """;

    private const string Update = """
        WITH written AS (
            UPDATE entities SET version = $4, fields = $5, field_versions = $6, deleted = $7, deleted_at = $8, deleted_by = $9,
                updated_at = $12, updated_by = $13
            WHERE tenant_id = $1 AND entity_type = $2 AND id = $3 AND version = $20
            RETURNING 1)
        """ + Sequence;

    private const string Create = """
        WITH written AS (
            INSERT INTO entities (tenant_id, entity_type, id, version, fields, field_versions, deleted, deleted_at, deleted_by,
                created_at, created_by, updated_at, updated_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (tenant_id, entity_type, id) DO NOTHING
            RETURNING 1)
        """ + Sequence;

    /// <summary>
    /// Writes <paramref name="row"/> (as decided; <paramref name="readVersion"/> is the version it was read at, null
    /// for a create) with its change-log row. The sequence number, or null when the row moved (or the id was taken).
    /// </summary>
    public static async Task<long?> WriteAsync(RealtimeSyncDb db, EntityRow row, long? readVersion, ChangeRow change, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand(readVersion is null ? Create : Update, connection);
            var p = command.Parameters;
            p.Add(new NpgsqlParameter { Value = row.TenantId });                         // $1
            p.Add(new NpgsqlParameter { Value = row.EntityType });                       // $2
            p.Add(new NpgsqlParameter { Value = row.Id });                               // $3
            p.Add(new NpgsqlParameter { Value = row.Version });                          // $4
            p.Add(new NpgsqlParameter { Value = row.Fields });                           // $5
            p.Add(new NpgsqlParameter { Value = row.FieldVersions });                    // $6
            p.Add(new NpgsqlParameter { Value = row.Deleted });                          // $7
            p.Add(Timestamp(row.DeletedAt));                                             // $8
            p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)row.DeletedBy ?? DBNull.Value }); // $9
            p.Add(Timestamp(row.CreatedAt));                                             // $10
            p.Add(new NpgsqlParameter { Value = row.CreatedBy });                        // $11
            p.Add(Timestamp(row.UpdatedAt));                                             // $12
            p.Add(new NpgsqlParameter { Value = row.UpdatedBy });                        // $13
            p.Add(new NpgsqlParameter { Value = change.Operation });                     // $14
            p.Add(new NpgsqlParameter { Value = change.Changed });                       // $15
            p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)change.Conflicts ?? DBNull.Value }); // $16
            p.Add(new NpgsqlParameter { Value = change.Actor });                         // $17
            p.Add(new NpgsqlParameter { Value = change.Origin });                        // $18
            p.Add(Timestamp(change.OccurredAt));                                         // $19
            if (readVersion is { } version)
            {
                p.Add(new NpgsqlParameter { Value = version });                          // $20
            }

            var seq = await command.ExecuteScalarAsync(ct);
            return seq is null ? null : Convert.ToInt64(seq, CultureInfo.InvariantCulture);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static NpgsqlParameter Timestamp(DateTimeOffset? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = value is { } v ? v.UtcDateTime : DBNull.Value };
}
