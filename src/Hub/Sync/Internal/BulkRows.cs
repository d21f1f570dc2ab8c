using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.Sync.Internal;

/// <summary>
/// The new entity rows, change-log rows and receipts of a sync/up transaction. Change-log rows and receipts are
/// written while it holds the tenant counter: on PostgreSQL as two multi-row INSERTs (unnest of column arrays) in one
/// round trip, so the counter is held for three round trips (counter, this, commit) whatever the batch size; on SQLite
/// (one writer anyway) through EF.
/// </summary>
internal static class BulkRows
{
    /// <summary>
    /// New entity rows of a batch: on PostgreSQL one INSERT of column arrays (a unique violation — another writer created
    /// the same id — fails it like EF's insert would, and the batch is decided again); on SQLite through EF.
    /// </summary>
    public static async Task InsertEntitiesAsync(RealtimeSyncDb db, IDbContextTransaction tx, IReadOnlyList<EntityRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        if (db.Database.IsSqlite())
        {
            db.Entities.AddRange(rows);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            return;
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO entities (tenant_id, entity_type, id, version, fields, field_versions, deleted, deleted_at, deleted_by, created_at, created_by, updated_at, updated_by) " +
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::boolean[], $8::timestamptz[], $9::text[], $10::timestamptz[], $11::text[], $12::timestamptz[], $13::text[])",
            (NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)tx.GetDbTransaction());
        Columns(insert.Parameters,
            rows.Select(r => r.TenantId).ToArray(),
            rows.Select(r => r.EntityType).ToArray(),
            rows.Select(r => r.Id).ToArray(),
            rows.Select(r => r.Version).ToArray(),
            rows.Select(r => r.Fields).ToArray(),
            rows.Select(r => r.FieldVersions).ToArray(),
            rows.Select(r => r.Deleted).ToArray(),
            rows.Select(r => r.DeletedAt?.UtcDateTime).ToArray(),
            rows.Select(r => r.DeletedBy).ToArray(),
            rows.Select(r => r.CreatedAt.UtcDateTime).ToArray(),
            rows.Select(r => r.CreatedBy).ToArray(),
            rows.Select(r => r.UpdatedAt.UtcDateTime).ToArray(),
            rows.Select(r => r.UpdatedBy).ToArray());
        await insert.ExecuteNonQueryAsync(ct);
    }

    public static async Task InsertAsync(RealtimeSyncDb db, IDbContextTransaction tx, IReadOnlyList<ChangeRow> changes, IReadOnlyList<OutboxReceiptRow> receipts, CancellationToken ct)
    {
        if (db.Database.IsSqlite())
        {
            db.Changes.AddRange(changes);
            db.OutboxReceipts.AddRange(receipts);
            await db.SaveChangesAsync(ct);
            return;
        }

        if (changes.Count == 0 && receipts.Count == 0)
        {
            return;
        }

        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var batch = new NpgsqlBatch(connection, (NpgsqlTransaction)tx.GetDbTransaction());
        if (changes.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                "INSERT INTO changes (tenant_id, seq, entity_type, entity_id, operation, version, changed, conflicts, actor, origin, occurred_at) " +
                "SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])");
            Columns(insert.Parameters,
                changes.Select(c => c.TenantId).ToArray(),
                changes.Select(c => c.Seq).ToArray(),
                changes.Select(c => c.EntityType).ToArray(),
                changes.Select(c => c.EntityId).ToArray(),
                changes.Select(c => c.Operation).ToArray(),
                changes.Select(c => c.Version).ToArray(),
                changes.Select(c => c.Changed).ToArray(),
                changes.Select(c => c.Conflicts).ToArray(),
                changes.Select(c => c.Actor).ToArray(),
                changes.Select(c => c.Origin).ToArray(),
                changes.Select(c => c.OccurredAt.UtcDateTime).ToArray());
            batch.BatchCommands.Add(insert);
        }

        if (receipts.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                "INSERT INTO outbox_receipts (tenant_id, client_id, event_id, outcome, result, processed_at) " +
                "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])");
            Columns(insert.Parameters,
                receipts.Select(r => r.TenantId).ToArray(),
                receipts.Select(r => r.ClientId).ToArray(),
                receipts.Select(r => r.EventId).ToArray(),
                receipts.Select(r => r.Outcome).ToArray(),
                receipts.Select(r => r.Result).ToArray(),
                receipts.Select(r => r.ProcessedAt.UtcDateTime).ToArray());
            batch.BatchCommands.Add(insert);
        }

        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>One parameter per column array, in the order of the statement's <c>$1, $2, …</c>.</summary>
    private static void Columns(NpgsqlParameterCollection parameters, params Array[] columns)
    {
        foreach (var column in columns)
        {
            parameters.Add(new NpgsqlParameter { Value = column });
        }
    }
}
