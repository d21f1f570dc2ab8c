using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Sync.Internal;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.Sync;

/// <summary>
/// sync/up: a client's events, in order, under the client's lock (one upload of a client at a time, across nodes).
/// The batch path (SyncService.Batch.cs) applies them in a few transactions; the one-by-one path below (one
/// transaction per event through the <see cref="EntityStore"/>) is kept behind <c>Sync:BatchUpload=false</c> for
/// the benchmark's before/after and for the test that compares both.
/// </summary>
public sealed partial class SyncService
{
    /// <summary>Applies a client's events in order; the caller has checked the token (tenant, role, client id).</summary>
    internal async Task<SyncUpResponse> UploadAsync(string tenant, string clientId, string actor, IReadOnlyList<SyncEventReader.Result> events, ClientLocks locks, CancellationToken ct)
    {
        var acknowledged = new List<SyncAcknowledged>();
        var conflicts = new List<SyncConflict>();
        var rejected = new List<SyncRejected>();
        var settings = options.CurrentValue;
        var progressEvery = Math.Max(1, settings.ProgressEvery);
        var reportProgress = events.Count >= progressEvery;

        await using (await locks.AcquireAsync(db, tenant, clientId, ct))
        {
            // Under the client's lock nobody else records receipts for this client: one read serves the batch.
            var ids = events.Where(e => e.EventId is not null).Select(e => e.EventId!).Distinct().ToList();
            var stored = new Dictionary<string, SyncResult>(StringComparer.Ordinal);
            foreach (var chunk in ids.Chunk(500))
            {
                foreach (var receipt in await db.OutboxReceipts.AsNoTracking()
                             .Where(r => r.TenantId == tenant && r.ClientId == clientId && chunk.Contains(r.EventId)).ToListAsync(ct))
                {
                    stored[receipt.EventId] = Result(receipt);
                }
            }

            // Events are decided in transactions of up to UploadTransactionEvents (the whole batch of a usual
            // client); the results of a transaction are answered (and reported as progress) once it committed.
            var step = settings.BatchUpload ? Math.Max(1, settings.UploadTransactionEvents) : 1;
            for (var start = 0; start < events.Count; start += step)
            {
                var end = Math.Min(events.Count, start + step);
                if (settings.BatchUpload)
                {
                    await ApplyBatchAsync(tenant, clientId, actor, events, start, end, stored, ct);
                }
                else if (events[start] is { Event: not null } read && !stored.ContainsKey(read.Event.Id))
                {
                    stored[read.Event.Id] = await ApplyOneAsync(tenant, clientId, actor, read, start, ct);
                }

                for (var index = start; index < end; index++)
                {
                    var read = events[index];
                    if (read.Event is null)
                    {
                        // A refusal for the event's shape is answered, never stored under its id: the stored answer
                        // would stick to the id, and the client could never send the corrected event.
                        rejected.Add(new SyncRejected(read.EventId, index, "invalid-event", read.Errors));
                        SyncMetrics.Event("rejected");
                    }
                    else
                    {
                        Collect(stored[read.Event.Id], index, acknowledged, conflicts, rejected);
                    }

                    if (reportProgress && ((index + 1) % progressEvery == 0 || index + 1 == events.Count))
                    {
                        await pushes.ProgressAsync(tenant, clientId, new SyncProgress("up", index + 1, events.Count, acknowledged.Count, conflicts.Count, rejected.Count));
                    }
                }
            }
        }

        return new SyncUpResponse(acknowledged, conflicts, rejected);
    }

    private async Task<SyncResult> ApplyOneAsync(string tenant, string clientId, string actor, SyncEventReader.Result read, int index, CancellationToken ct)
    {
        var eventId = read.EventId!;
        var e = read.Event!;

        if (types.Current.Find(tenant, e.EntityType) is not { } schema)
        {
            return await RecordAsync(tenant, clientId, Rejected(eventId, index, "unknown-entity-type",
                new Dictionary<string, string[]> { ["entityType"] = [$"'{e.EntityType}' is not an entity type of tenant '{tenant}'"] }), null, ct);
        }

        var who = new WriteContext(actor, clientId);
        var fields = e.Payload.ToDictionary(p => p.Key, p => p.Value?.GetValueKind() == JsonValueKind.Null ? null : p.Value);
        SyncResult? committed = null;
        Task RecordInTransaction(WriteOutcome outcome)
        {
            committed = Map(e, index, outcome);
            db.OutboxReceipts.Add(Receipt(tenant, clientId, committed));
            return Task.CompletedTask;
        }

        WriteOutcome result;
        try
        {
            result = e.Operation switch
            {
                SyncOperation.Create => await store.CreateAsync(tenant, schema, e.EntityId, new EntityPatch(fields, e.BaseVersion is 0 ? null : e.BaseVersion), who, ct, RecordInTransaction),
                SyncOperation.Update => await store.UpdateAsync(tenant, schema, e.EntityId, new EntityPatch(fields, e.BaseVersion), who, ct, RecordInTransaction),
                _ => await store.DeleteAsync(tenant, schema.Name, e.EntityId, e.BaseVersion, who, ct, RecordInTransaction),
            };
        }
        catch (DbUpdateException) when (committed is not null)
        {
            // Another request recorded this event first (its write and receipt committed; this one rolled back).
            db.ChangeTracker.Clear();
            return Result(await db.OutboxReceipts.AsNoTracking().SingleAsync(r => r.TenantId == tenant && r.ClientId == clientId && r.EventId == eventId, ct));
        }

        if (committed is not null)
        {
            SyncMetrics.Event(committed.Outcome);
            return committed;
        }

        // Nothing was written: record the outcome on its own (a crash before this only means re-evaluating it).
        var mapped = Map(e, index, result);
        if (result.Status == WriteStatus.NotFound && await store.GetAsync(tenant, schema.Name, e.EntityId, ct) is { Deleted: true } tombstone)
        {
            mapped = e.Operation == SyncOperation.Delete
                ? Acknowledge(e, new SyncAcknowledged(e.Id, e.EntityType, e.EntityId, tombstone.Version, "deleted", [], [], [], null))
                : Conflict(e, new SyncConflict(e.Id, e.EntityType, e.EntityId, "entity-deleted", tombstone, []));
        }

        if (mapped.Outcome == "acknowledged")
        {
            return await RecordAsync(tenant, clientId, mapped, null, ct);
        }

        return await RecordAsync(tenant, clientId, mapped, mapped.Conflict is { } conflict ? ConflictRow(tenant, clientId, e, conflict) : null, ct);
    }

    private async Task<SyncResult> RecordAsync(string tenant, string clientId, SyncResult result, SyncConflictRow? conflict, CancellationToken ct)
    {
        var receipt = Receipt(tenant, clientId, result);
        db.OutboxReceipts.Add(receipt);
        if (conflict is not null)
        {
            db.SyncConflicts.Add(conflict);
        }

        try
        {
            using (await WriteTurnAsync(ct))
            {
                await db.SaveChangesAsync(ct);
            }

            SyncMetrics.Event(result.Outcome);
            return result;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return Result(await db.OutboxReceipts.AsNoTracking().SingleAsync(r => r.TenantId == tenant && r.ClientId == clientId && r.EventId == result.EventId, ct));
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private SyncConflictRow ConflictRow(string tenant, string clientId, SyncEvent e, SyncConflict conflict) => new()
    {
        TenantId = tenant,
        ClientId = clientId,
        EventId = e.Id,
        EntityType = e.EntityType,
        EntityId = e.EntityId,
        Operation = SyncNames.Of(e.Operation),
        Reason = conflict.Reason,
        LocalPayload = e.Payload.ToJsonString(),
        BaseVersion = e.BaseVersion,
        ServerData = conflict.ServerData is null ? null : JsonSerializer.Serialize(conflict.ServerData, Json),
        Fields = JsonSerializer.Serialize(conflict.ConflictingFields, Json),
        Status = "pending",
        CreatedAt = clock.GetUtcNow(),
    };

    private OutboxReceiptRow Receipt(string tenant, string clientId, SyncResult result) => new()
    {
        TenantId = tenant,
        ClientId = clientId,
        EventId = result.EventId,
        Outcome = result.Outcome,
        Result = JsonSerializer.Serialize(result, Json),
        ProcessedAt = clock.GetUtcNow(),
    };

    private static SyncResult Result(OutboxReceiptRow receipt) => JsonSerializer.Deserialize<SyncResult>(receipt.Result, Json)!;

    private static void Collect(SyncResult result, int index, List<SyncAcknowledged> acknowledged, List<SyncConflict> conflicts, List<SyncRejected> rejected)
    {
        if (result.Acknowledged is { } a)
        {
            acknowledged.Add(a);
        }
        else if (result.Conflict is { } c)
        {
            conflicts.Add(c);
        }
        else if (result.Rejected is { } r)
        {
            // The stored index is where the event first came; report where it is in this batch.
            rejected.Add(r with { Index = index });
        }
    }

    private static SyncResult Map(SyncEvent e, int index, WriteOutcome outcome)
    {
        var entity = outcome.Entity;
        switch (outcome.Status)
        {
            case WriteStatus.Created:
            case WriteStatus.Applied:
            case WriteStatus.NoChange:
            case WriteStatus.Deleted:
                var status = outcome.Status switch
                {
                    WriteStatus.Created => "created",
                    WriteStatus.Applied => "applied",
                    WriteStatus.NoChange => "no-change",
                    _ => "deleted",
                };
                return Acknowledge(e, new SyncAcknowledged(e.Id, e.EntityType, e.EntityId, entity!.Version, status,
                    outcome.Merge?.Merged ?? [], outcome.Merge?.Preserved ?? [], outcome.Merge?.Conflicts ?? [], outcome.Seq));
            case WriteStatus.AlreadyExists:
                return Conflict(e, new SyncConflict(e.Id, e.EntityType, e.EntityId, entity!.Deleted ? "entity-deleted" : "entity-exists", entity, []));
            case WriteStatus.Conflict when e.Operation == SyncOperation.Delete:
                return Conflict(e, new SyncConflict(e.Id, e.EntityType, e.EntityId, "entity-changed", entity, []));
            case WriteStatus.Conflict:
                return Conflict(e, new SyncConflict(e.Id, e.EntityType, e.EntityId, "field-conflict", entity, outcome.Merge!.Conflicts));
            case WriteStatus.NotFound:
                return Rejected(e.Id, index, "unknown-entity", new Dictionary<string, string[]> { ["entityId"] = [$"there is no {e.EntityType} '{e.EntityId}'"] });
            default:
                var errors = outcome.Errors
                    .GroupBy(x => x.Field == "baseVersion" ? "baseVersion" : "payload." + x.Field)
                    .ToDictionary(g => g.Key, g => g.Select(x => x.Message).ToArray());
                return Rejected(e.Id, index, errors.Keys.All(k => k == "baseVersion") ? "invalid-event" : "invalid-payload", errors);
        }
    }

    private static SyncResult Acknowledge(SyncEvent e, SyncAcknowledged a) => new(e.Id, "acknowledged", a, null, null);

    private static SyncResult Conflict(SyncEvent e, SyncConflict c) => new(e.Id, "conflict", null, c, null);

    private static SyncResult Rejected(string eventId, int index, string reason, IReadOnlyDictionary<string, string[]> errors) =>
        new(eventId, "rejected", null, null, new SyncRejected(eventId, index, reason, errors));

    /// <summary>What <c>outbox_receipts.result</c> holds: exactly one of the three.</summary>
    internal sealed record SyncResult(string EventId, string Outcome, SyncAcknowledged? Acknowledged, SyncConflict? Conflict, SyncRejected? Rejected);
}
