using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Sync.Internal;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.Sync;

/// <summary>
/// The batch path of sync/up: the events of one transaction are decided in memory, in order, against rows read
/// (and on PostgreSQL locked, in key order) with one query per entity type, by the same rules as single writes
/// (<see cref="EntityWrites"/>); a later event sees what the earlier ones did. A rejected or conflicting event
/// writes only its receipt (and conflict row) and never stops the next. Then: entity rows and conflicts saved in
/// one round trip, the tenant counter advanced once for every change of the transaction (the last instant, see
/// <see cref="TenantSequence"/>), change-log rows and every receipt saved in one more, commit.
/// </summary>
public sealed partial class SyncService
{
    private async Task ApplyBatchAsync(string tenant, string clientId, string actor, IReadOnlyList<SyncEventReader.Result> events, int start, int end, Dictionary<string, SyncResult> stored, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await TryBatchAsync(tenant, clientId, actor, events, start, end, stored, ct);
                return;
            }
            catch (Exception e) when (attempt < 4 && Retryable(e))
            {
                // A create that raced another writer for the same id, or a deadlock with a batch locking the
                // same rows: nothing of this transaction stayed; decide it again on the rows as they are now.
                db.ChangeTracker.Clear();
                SyncLog.BatchRetried(log, e, tenant, clientId, attempt + 1);

                // Receipts another node recorded meanwhile (on PostgreSQL the client lock rules that out; SQLite
                // files shared by several processes only have the file lock) answer their events as stored.
                var ids = events.Skip(start).Take(end - start).Where(x => x.Event is not null).Select(x => x.Event!.Id).Distinct().ToList();
                foreach (var receipt in await db.OutboxReceipts.AsNoTracking()
                             .Where(r => r.TenantId == tenant && r.ClientId == clientId && ids.Contains(r.EventId)).ToListAsync(ct))
                {
                    stored[receipt.EventId] = Result(receipt);
                }
            }
        }
    }

    private async Task TryBatchAsync(string tenant, string clientId, string actor, IReadOnlyList<SyncEventReader.Result> events, int start, int end, Dictionary<string, SyncResult> stored, CancellationToken ct)
    {
        var schemas = types.Current;
        var todo = new List<(int Index, SyncEvent Event, EntityTypeSchema? Schema)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var index = start; index < end; index++)
        {
            if (events[index].Event is { } e && !stored.ContainsKey(e.Id) && seen.Add(e.Id))
            {
                todo.Add((index, e, schemas.Find(tenant, e.EntityType)));
            }
        }

        if (todo.Count == 0)
        {
            return;
        }

        using var turn = await WriteTurnAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            var rows = await LockRowsAsync(tenant, todo.Where(t => t.Schema is not null).Select(t => (t.Schema!.Name, t.Event.EntityId)), ct);
            var now = clock.GetUtcNow();
            var results = new Dictionary<string, SyncResult>(StringComparer.Ordinal);
            var writes = new List<(SyncEvent Event, int Index, PlannedWrite Write)>();
            var createdRows = new List<EntityRow>();
            foreach (var (index, e, schema) in todo)
            {
                if (schema is null)
                {
                    results[e.Id] = Rejected(e.Id, index, "unknown-entity-type",
                        new Dictionary<string, string[]> { ["entityType"] = [$"'{e.EntityType}' is not an entity type of tenant '{tenant}'"] });
                    continue;
                }

                var key = (schema.Name, e.EntityId);
                var row = rows.GetValueOrDefault(key);
                var who = new WriteContext(actor, clientId);
                var fields = e.Payload.ToDictionary(p => p.Key, p => p.Value?.GetValueKind() == JsonValueKind.Null ? null : p.Value);
                WriteOutcome outcome;
                PlannedWrite? planned = null;
                switch (e.Operation)
                {
                    case SyncOperation.Create:
                        var createPatch = new EntityPatch(fields, e.BaseVersion is 0 ? null : e.BaseVersion);
                        outcome = EntityWrites.Precheck(schema, createPatch, creating: true, now, out var merge)
                                  ?? (planned = EntityWrites.Create(tenant, schema, e.EntityId, merge!, row, who, now)).Outcome;
                        if (planned?.Created is { } created)
                        {
                            createdRows.Add(created); // inserted with the others below, in the state the batch leaves it
                            rows[key] = created;
                        }

                        break;
                    case SyncOperation.Update:
                        var patch = new EntityPatch(fields, e.BaseVersion);
                        outcome = EntityWrites.Precheck(schema, patch, creating: false, now, out _)
                                  ?? (planned = EntityWrites.Update(tenant, schema, patch, row, who, now)).Outcome;
                        EntityMetrics.Conflicts(schema, outcome);
                        break;
                    default:
                        outcome = (planned = EntityWrites.Delete(tenant, e.BaseVersion, row, who, now)).Outcome;
                        break;
                }

                if (planned is { Writes: true })
                {
                    writes.Add((e, index, planned));
                    continue;
                }

                var mapped = Map(e, index, outcome);
                if (outcome.Status == WriteStatus.NotFound && row is { Deleted: true } tombstone)
                {
                    mapped = e.Operation == SyncOperation.Delete
                        ? Acknowledge(e, new SyncAcknowledged(e.Id, e.EntityType, e.EntityId, tombstone.Version, "deleted", [], [], [], null))
                        : Conflict(e, new SyncConflict(e.Id, e.EntityType, e.EntityId, "entity-deleted", EntityStore.ToDto(tombstone), []));
                }

                if (mapped.Conflict is { } conflict)
                {
                    db.SyncConflicts.Add(ConflictRow(tenant, clientId, e, conflict));
                }

                results[e.Id] = mapped;
            }

            await db.SaveChangesAsync(ct); // changed entity rows and conflict rows
            db.ChangeTracker.Clear();
            await BulkRows.InsertEntitiesAsync(db, tx, createdRows, ct);

            // The last instant: the counter, then the change log and every receipt in one round trip, then commit.
            long last = 0;
            var changes = new List<ChangeRow>(writes.Count);
            if (writes.Count > 0)
            {
                last = await TenantSequence.ReserveAsync(db, tx, tenant, writes.Count, ct);
                var seq = last - writes.Count;
                foreach (var (e, index, write) in writes)
                {
                    seq++;
                    changes.Add(write.Change!(seq));
                    results[e.Id] = Map(e, index, write.Outcome with { Seq = seq });
                }
            }

            await BulkRows.InsertAsync(db, tx, changes, results.Values.Select(r => Receipt(tenant, clientId, r)).ToList(), ct);
            await tx.CommitAsync(ct);
            turn?.Dispose(); // the push needs no database lock
            feed.Committed(tenant, changes);

            foreach (var (id, result) in results)
            {
                stored[id] = result;
                SyncMetrics.Event(result.Outcome);
            }
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// The current rows of the given entities, tracked, one query per type. On PostgreSQL they stay locked until
    /// the transaction ends, taken in (type, id) order so two batches never lock the same rows in opposite orders;
    /// SQLite has one writer at a time.
    /// </summary>
    private async Task<Dictionary<(string Type, string Id), EntityRow?>> LockRowsAsync(string tenant, IEnumerable<(string Type, string Id)> keys, CancellationToken ct)
    {
        var rows = new Dictionary<(string Type, string Id), EntityRow?>();
        foreach (var byType in keys.Distinct().GroupBy(k => k.Type).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var type = byType.Key;
            var ids = byType.Select(k => k.Id).Order(StringComparer.Ordinal).ToArray();
            var found = db.Database.IsSqlite()
                ? await db.Entities.Where(e => e.TenantId == tenant && e.EntityType == type && ids.Contains(e.Id)).ToListAsync(ct)
                : await db.Entities.FromSql($"SELECT * FROM entities WHERE tenant_id = {tenant} AND entity_type = {type} AND id = ANY({ids}) ORDER BY id FOR UPDATE").ToListAsync(ct);
            foreach (var row in found)
            {
                rows[(row.EntityType, row.Id)] = row;
            }
        }

        return rows;
    }

    private static bool Retryable(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure }
                or SqliteException { SqliteErrorCode: 19 or 5 }) // SQLITE_CONSTRAINT, SQLITE_BUSY (and their extended codes)
            {
                return true;
            }
        }

        return false;
    }
}
