using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.Sync.Internal;

/// <summary>
/// The change-log rows and receipts of a sync/up transaction, written while it holds the tenant counter: on
/// PostgreSQL as two multi-row INSERTs (unnest of column arrays) in one round trip, so the counter is held for
/// three round trips (counter, this, commit) whatever the batch size; on SQLite (one writer anyway) through EF.
/// </summary>
internal static class BulkRows
{
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
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.TenantId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Seq).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.EntityType).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.EntityId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Operation).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Version).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Changed).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Conflicts).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Actor).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Origin).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.OccurredAt.UtcDateTime).ToArray() });
            batch.BatchCommands.Add(insert);
        }

        if (receipts.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                "INSERT INTO outbox_receipts (tenant_id, client_id, event_id, outcome, result, processed_at) " +
                "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])");
            insert.Parameters.Add(new NpgsqlParameter { Value = receipts.Select(r => r.TenantId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = receipts.Select(r => r.ClientId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = receipts.Select(r => r.EventId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = receipts.Select(r => r.Outcome).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = receipts.Select(r => r.Result).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = receipts.Select(r => r.ProcessedAt.UtcDateTime).ToArray() });
            batch.BatchCommands.Add(insert);
        }

        await batch.ExecuteNonQueryAsync(ct);
    }
}
