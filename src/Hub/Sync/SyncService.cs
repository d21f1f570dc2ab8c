using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Sync.Internal;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.Sync;

/// <summary>
/// Outbox upload, change download and conflict resolution for offline clients. Every write goes through the
/// <see cref="EntityStore"/> (smart merge, change log, pushes) with the client id as origin; a processed event
/// is recorded in <c>outbox_receipts</c> — in the same transaction as its write when it wrote something — so a
/// retried batch gets the stored result and nothing is applied twice.
/// </summary>
public sealed class SyncService(
    RealtimeSyncDb db,
    EntityStore store,
    EntityTypes types,
    SyncPushes pushes,
    IOptionsMonitor<SyncOptions> options,
    SqliteWriteGate sqliteGate,
    TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    /// <summary>Applies a client's events in order; the caller has checked the token (tenant, role, client id).</summary>
    internal async Task<SyncUpResponse> UploadAsync(string tenant, string clientId, string actor, IReadOnlyList<SyncEventReader.Result> events, ClientLocks locks, CancellationToken ct)
    {
        var acknowledged = new List<SyncAcknowledged>();
        var conflicts = new List<SyncConflict>();
        var rejected = new List<SyncRejected>();
        var progressEvery = Math.Max(1, options.CurrentValue.ProgressEvery);
        var reportProgress = events.Count >= progressEvery;

        await using (await locks.AcquireAsync(db, tenant, clientId, ct))
        {
            // Under the client's lock nobody else records receipts for this client: one read serves the batch.
            var ids = events.Where(e => e.EventId is not null).Select(e => e.EventId!).Distinct().ToList();
            var stored = new Dictionary<string, OutboxReceiptRow>(StringComparer.Ordinal);
            foreach (var chunk in ids.Chunk(500))
            {
                foreach (var receipt in await db.OutboxReceipts.AsNoTracking()
                             .Where(r => r.TenantId == tenant && r.ClientId == clientId && chunk.Contains(r.EventId)).ToListAsync(ct))
                {
                    stored[receipt.EventId] = receipt;
                }
            }

            for (var index = 0; index < events.Count; index++)
            {
                var read = events[index];
                OutboxReceiptRow receipt;
                if (read.Event is null)
                {
                    // A refusal for the event's shape is answered, never stored under its id: the stored answer
                    // would stick to the id, and the client could never send the corrected event.
                    rejected.Add(new SyncRejected(read.EventId, index, "invalid-event", read.Errors));
                    SyncMetrics.Event("rejected");
                }
                else
                {
                    if (!stored.TryGetValue(read.Event.Id, out receipt!))
                    {
                        receipt = await ApplyAsync(tenant, clientId, actor, read, index, ct);
                        stored[receipt.EventId] = receipt;
                    }

                    Collect(receipt, index, acknowledged, conflicts, rejected);
                }

                if (reportProgress && ((index + 1) % progressEvery == 0 || index + 1 == events.Count))
                {
                    await pushes.ProgressAsync(tenant, clientId, new SyncProgress("up", index + 1, events.Count, acknowledged.Count, conflicts.Count, rejected.Count));
                }
            }
        }

        return new SyncUpResponse(acknowledged, conflicts, rejected);
    }

    /// <summary>Changes after <paramref name="afterSeq"/>: each changed entity once per page with its current state.</summary>
    internal async Task<SyncDownResponse> DownloadAsync(string tenant, string clientId, long afterSeq, IReadOnlyList<string>? entityTypes, int limit, CancellationToken ct)
    {
        // Keyset on the primary key (tenant_id, seq): the cost follows the page, not the log's length.
        var query = db.Changes.AsNoTracking().Where(c => c.TenantId == tenant && c.Seq > afterSeq);
        if (entityTypes is { Count: > 0 })
        {
            query = query.Where(c => entityTypes.Contains(c.EntityType));
        }

        var rows = await query.OrderBy(c => c.Seq)
            .Select(c => new { c.Seq, c.EntityType, c.EntityId, c.Operation, c.Origin })
            .Take(limit + 1).ToListAsync(ct);
        var more = rows.Count > limit;
        var page = rows.Take(limit).ToList();

        var current = new Dictionary<(string Type, string Id), EntityRow>();
        foreach (var byType in page.GroupBy(r => r.EntityType))
        {
            var entityIds = byType.Select(r => r.EntityId).Distinct().ToList();
            var type = byType.Key;
            foreach (var row in await db.Entities.AsNoTracking().Where(e => e.TenantId == tenant && e.EntityType == type && entityIds.Contains(e.Id)).ToListAsync(ct))
            {
                current[(row.EntityType, row.Id)] = row;
            }
        }

        // Several changes of one entity in a page collapse into one entry at the last of them, carrying the
        // entity's current state: nothing is skipped, since that state includes every earlier change.
        var changes = new List<SyncDownChange>();
        var firstOperation = new Dictionary<(string, string), string>();
        var lastSeq = page.GroupBy(r => (r.EntityType, r.EntityId)).ToDictionary(g => g.Key, g => g.Max(r => r.Seq));
        foreach (var change in page)
        {
            var key = (change.EntityType, change.EntityId);
            firstOperation.TryAdd(key, change.Operation);
            if (lastSeq[key] != change.Seq || !current.TryGetValue(key, out var entity))
            {
                continue;
            }

            var operation = entity.Deleted ? "DELETE" : firstOperation[key] == "create" ? "CREATE" : "UPDATE";
            var payload = entity.Deleted ? null : JsonNode.Parse(entity.Fields)!.AsObject();
            changes.Add(new SyncDownChange(entity.EntityType, entity.Id, operation, payload, entity.Version, change.Seq, change.Origin));
        }

        var cursorSeq = page.Count > 0 ? page[^1].Seq : afterSeq;
        await TouchClientAsync(tenant, clientId, up: false, cursorSeq, ct);
        if (more && page.Count >= Math.Max(1, options.CurrentValue.ProgressEvery))
        {
            var latest = await LatestSeqAsync(tenant, ct);
            await pushes.ProgressAsync(tenant, clientId, new SyncProgress("down", page.Count, page.Count + Math.Max(0, latest - cursorSeq), 0, 0, 0));
        }

        SyncMetrics.Sent(changes.Count);
        SyncMetrics.ClientLag(clientId, more ? await LatestSeqAsync(tenant, ct) - cursorSeq : 0);
        return new SyncDownResponse(changes, ChangeCursor.Encode(cursorSeq), more);
    }

    /// <summary>
    /// Settles a pending conflict. The conflict is claimed (pending → resolved) in the same transaction as the
    /// write the resolution makes, so two resolvers racing apply one resolution; the result is pushed to the client.
    /// </summary>
    public async Task<ResolveOutcome> ResolveAsync(string tenant, string clientId, string eventId, ConflictResolution resolution, JsonObject? fields, string actor, string origin, CancellationToken ct)
    {
        var row = await db.SyncConflicts.AsNoTracking().FirstOrDefaultAsync(c => c.TenantId == tenant && c.ClientId == clientId && c.EventId == eventId, ct);
        if (row is null)
        {
            return ResolveOutcome.Fail(ResolveStatus.NotFound, "eventId", $"Client '{clientId}' has no conflict for event '{eventId}'.");
        }

        if (row.Status != "pending")
        {
            return ResolveOutcome.Fail(ResolveStatus.AlreadyResolved, "eventId", $"The conflict of event '{eventId}' was already resolved ({row.Resolution}).");
        }

        var name = SyncNames.Of(resolution);
        var now = clock.GetUtcNow();
        // Called with the write's outcome inside the store's transaction (which holds the SQLite turn already),
        // or with null on its own.
        async Task Claim(WriteOutcome? inTransaction)
        {
            using var turn = inTransaction is null ? await WriteTurnAsync(ct) : null;
            var claimed = await db.SyncConflicts
                .Where(c => c.TenantId == tenant && c.ClientId == clientId && c.EventId == eventId && c.Status == "pending")
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.Status, "resolved").SetProperty(c => c.Resolution, name)
                    .SetProperty(c => c.ResolvedAt, now).SetProperty(c => c.ResolvedBy, actor), ct);
            if (claimed == 0)
            {
                throw new AlreadyResolvedException();
            }
        }

        var schema = types.Current.Find(tenant, row.EntityType);
        long? seq = null;
        try
        {
            if (resolution == ConflictResolution.AcceptServer || schema is null)
            {
                if (schema is null && resolution != ConflictResolution.AcceptServer)
                {
                    return ResolveOutcome.Fail(ResolveStatus.Invalid, "resolution", $"'{row.EntityType}' is no longer an entity type; only accept-server is possible.");
                }

                await Claim(null);
            }
            else if (row.Operation == "DELETE")
            {
                if (resolution == ConflictResolution.Merge)
                {
                    return ResolveOutcome.Fail(ResolveStatus.Invalid, "resolution", "A delete conflict is resolved with accept-server or keep-local.");
                }

                var deleted = await store.DeleteAsync(tenant, schema.Name, row.EntityId, null, new WriteContext(actor, origin), ct, Claim);
                if (deleted.Status != WriteStatus.Deleted)
                {
                    await Claim(null); // already gone: keeping the local delete changes nothing
                }

                seq = deleted.Seq;
            }
            else
            {
                var values = resolution == ConflictResolution.KeepLocal ? JsonNode.Parse(row.LocalPayload)!.AsObject() : fields;
                if (values is null || values.Count == 0)
                {
                    return ResolveOutcome.Fail(ResolveStatus.Invalid, "fields", "merge needs the merged field values as a non-empty JSON object.");
                }

                var patchFields = values.ToDictionary(p => p.Key, p => p.Value?.GetValueKind() == JsonValueKind.Null ? null : p.Value?.DeepClone());
                for (var attempt = 0; ; attempt++)
                {
                    var current = await store.GetAsync(tenant, schema.Name, row.EntityId, ct);
                    if (current is null || current.Deleted)
                    {
                        return ResolveOutcome.Fail(ResolveStatus.Invalid, "resolution", $"{row.EntityType} '{row.EntityId}' no longer exists; only accept-server is possible.");
                    }

                    // Based on the current version: the resolver has decided every field, nothing left to merge.
                    var written = await store.UpdateAsync(tenant, schema, row.EntityId, new EntityPatch(patchFields, current.Version), new WriteContext(actor, origin), ct, Claim);
                    if (written.Status == WriteStatus.Invalid)
                    {
                        var prefix = resolution == ConflictResolution.Merge ? "fields." : "payload.";
                        return new ResolveOutcome(ResolveStatus.Invalid, null,
                            written.Errors.GroupBy(x => prefix + x.Field).ToDictionary(g => g.Key, g => g.Select(x => x.Message).ToArray()), "The values are not valid for the type.");
                    }

                    if (written.Status == WriteStatus.Conflict && attempt < 3)
                    {
                        continue; // written by someone else between the read and the write: take the new version
                    }

                    if (written.Status != WriteStatus.Applied)
                    {
                        await Claim(null); // the values are already the server's
                    }

                    seq = written.Seq;
                    break;
                }
            }
        }
        catch (AlreadyResolvedException)
        {
            db.ChangeTracker.Clear();
            return ResolveOutcome.Fail(ResolveStatus.AlreadyResolved, "eventId", $"The conflict of event '{eventId}' was already resolved.");
        }

        var entity = await store.GetAsync(tenant, row.EntityType, row.EntityId, ct);
        var resolved = new ConflictResolved(eventId, clientId, name, row.EntityType, row.EntityId, entity, seq, actor);
        await pushes.ResolvedAsync(tenant, clientId, resolved);
        return new ResolveOutcome(ResolveStatus.Resolved, resolved, null, null);
    }

    /// <summary>Deletes receipts and sync log entries past their retention; returns how many rows went.</summary>
    public async Task<(int Receipts, int LogEntries)> PruneAsync(CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var now = clock.GetUtcNow();
        var receiptsBefore = now.AddDays(-Math.Max(1, settings.ReceiptRetentionDays));
        var logBefore = now.AddDays(-Math.Max(1, settings.LogRetentionDays));

        // Plain SQL: both providers compare these columns correctly (PostgreSQL timestamptz; SQLite stores UTC
        // times as ISO text, which orders as text), where EF cannot translate DateTimeOffset comparisons on SQLite.
        using var turn = await WriteTurnAsync(ct);
        var receipts = await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM outbox_receipts WHERE processed_at < {receiptsBefore}", ct);
        var log = await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM sync_log WHERE at < {logBefore}", ct);
        return (receipts, log);
    }

    /// <summary>The newest change sequence of the tenant (0 when it has none).</summary>
    internal async Task<long> LatestSeqAsync(string tenant, CancellationToken ct) =>
        await db.TenantCounters.AsNoTracking().Where(c => c.TenantId == tenant).Select(c => (long?)c.LastSeq).FirstOrDefaultAsync(ct) ?? 0;

    internal async Task<bool> TenantExistsAsync(string tenant, CancellationToken ct) => await db.Tenants.AnyAsync(t => t.Id == tenant, ct);

    /// <summary>Records that a client was seen (and, for a download, where its cursor is).</summary>
    internal async Task TouchClientAsync(string tenant, string clientId, bool up, long? cursorSeq, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        DateTimeOffset? upAt = up ? now : null;
        DateTimeOffset? downAt = up ? null : now;
        using var turn = await WriteTurnAsync(ct);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
             INSERT INTO sync_clients (tenant_id, client_id, last_seen_at, last_up_at, last_down_at, last_cursor_seq)
             VALUES ({tenant}, {clientId}, {now}, {upAt}, {downAt}, {cursorSeq})
             ON CONFLICT (tenant_id, client_id) DO UPDATE SET
                 last_seen_at = excluded.last_seen_at,
                 last_up_at = COALESCE(excluded.last_up_at, sync_clients.last_up_at),
                 last_down_at = COALESCE(excluded.last_down_at, sync_clients.last_down_at),
                 last_cursor_seq = COALESCE(excluded.last_cursor_seq, sync_clients.last_cursor_seq)
             """, ct);
    }

    /// <summary>
    /// SQLite has one writer per file and its driver sleeps a flat 150 ms when it finds the file busy: writes made
    /// here outside the store queue on the same in-process gate as the store's transactions.
    /// </summary>
    private async Task<IDisposable?> WriteTurnAsync(CancellationToken ct) =>
        db.Database.IsSqlite() ? await sqliteGate.EnterAsync(db.Database.GetConnectionString()!, ct) : null;

    private async Task<OutboxReceiptRow> ApplyAsync(string tenant, string clientId, string actor, SyncEventReader.Result read, int index, CancellationToken ct)
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
            return await db.OutboxReceipts.AsNoTracking().SingleAsync(r => r.TenantId == tenant && r.ClientId == clientId && r.EventId == eventId, ct);
        }

        if (committed is not null)
        {
            SyncMetrics.Event(committed.Outcome);
            return Receipt(tenant, clientId, committed);
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

    private async Task<OutboxReceiptRow> RecordAsync(string tenant, string clientId, SyncResult result, SyncConflictRow? conflict, CancellationToken ct)
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
            return receipt;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return await db.OutboxReceipts.AsNoTracking().SingleAsync(r => r.TenantId == tenant && r.ClientId == clientId && r.EventId == result.EventId, ct);
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

    private static void Collect(OutboxReceiptRow receipt, int index, List<SyncAcknowledged> acknowledged, List<SyncConflict> conflicts, List<SyncRejected> rejected)
    {
        var result = JsonSerializer.Deserialize<SyncResult>(receipt.Result, Json)!;
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

    private sealed class AlreadyResolvedException : Exception;
}

public enum ResolveStatus
{
    Resolved,
    NotFound,
    AlreadyResolved,
    Invalid,
}

/// <summary>The outcome of <see cref="SyncService.ResolveAsync"/>; a failure names the field at fault.</summary>
public sealed record ResolveOutcome(ResolveStatus Status, ConflictResolved? Result, IReadOnlyDictionary<string, string[]>? Errors, string? Detail)
{
    public static ResolveOutcome Fail(ResolveStatus status, string field, string message) =>
        new(status, null, new Dictionary<string, string[]> { [field] = [message] }, message);
}
