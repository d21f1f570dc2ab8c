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
/// Outbox upload (SyncService.Upload.cs, SyncService.Batch.cs), change download, conflict resolution and
/// housekeeping for offline clients. Every write follows the <see cref="EntityStore"/>'s rules (smart merge,
/// change log, pushes) with the client id as origin; a processed event is recorded in <c>outbox_receipts</c> in
/// the same transaction as its write, so a retried batch gets the stored result and nothing is applied twice.
/// </summary>
public sealed partial class SyncService(
    RealtimeSyncDb db,
    EntityStore store,
    EntityTypes types,
    EntityChangeFeed feed,
    SyncPushes pushes,
    IOptionsMonitor<SyncOptions> options,
    SqliteWriteGate sqliteGate,
    TimeProvider clock,
    ILogger<SyncService> log)
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

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
        var logEntries = await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM sync_log WHERE at < {logBefore}", ct);
        return (receipts, logEntries);
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
