using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Hub.Entities;

/// <summary>Who writes, for the change log and the pushes.</summary>
/// <param name="Actor">User or client subject.</param>
/// <param name="Origin">admin | api | a sync client id.</param>
public sealed record WriteContext(string Actor, string Origin);

public enum WriteStatus
{
    Created,
    Applied,
    NoChange,
    Deleted,
    Conflict,
    Invalid,
    NotFound,
    AlreadyExists,
}

/// <summary>The outcome of a store write, with the merge's report.</summary>
public sealed record WriteOutcome(WriteStatus Status, EntityDto? Entity, MergeResult? Merge, long? Seq)
{
    public IReadOnlyList<FieldError> Errors => Merge?.Errors ?? [];
}

/// <summary>
/// Backoffice records: versioned rows with per-field versions, soft delete, and an append-only change
/// log whose per-tenant sequence is taken first in every write transaction. That counter row is the
/// lock that serializes a tenant's writes across every node (no lost update on one entity, change
/// sequence numbers commit in order). Committed changes are handed to <see cref="EntityChangeFeed"/>.
/// </summary>
public sealed class EntityStore(RealtimeSyncDb db, TimeProvider clock, EntityChangeFeed feed, SqliteWriteGate sqliteGate, Tracing tracing)
{
    public async Task<EntityDto?> GetAsync(string tenant, string type, string id, CancellationToken ct = default)
    {
        var row = await db.Entities.AsNoTracking().FirstOrDefaultAsync(e => e.TenantId == tenant && e.EntityType == type && e.Id == id, ct);
        return row is null ? null : ToDto(row);
    }

    /// <summary>Entities ordered by id (keyset paging: pass the last id as <paramref name="after"/>).</summary>
    public async Task<EntityPage> ListAsync(string tenant, string type, string? after, int limit, string? filterField, string? filterValue, bool includeDeleted, CancellationToken ct = default)
    {
        var items = new List<EntityDto>();
        // The field filter is applied on the decoded JSON so it means the same on SQLite and PostgreSQL;
        // pages are read in batches until the page is full.
        var skipAfter = after;
        while (items.Count < limit)
        {
            var batchQuery = db.Entities.AsNoTracking().Where(e => e.TenantId == tenant && e.EntityType == type && (includeDeleted || !e.Deleted));
            if (skipAfter is not null)
            {
                batchQuery = batchQuery.Where(e => e.Id.CompareTo(skipAfter) > 0);
            }

            var batch = await batchQuery.OrderBy(e => e.Id).Take(Math.Max(limit, 100)).ToListAsync(ct);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var row in batch)
            {
                skipAfter = row.Id;
                var dto = ToDto(row);
                if (filterField is null || Matches(dto.Fields, filterField, filterValue))
                {
                    items.Add(dto);
                    if (items.Count == limit)
                    {
                        break;
                    }
                }
            }

            if (batch.Count < Math.Max(limit, 100))
            {
                break;
            }
        }

        var lastId = items.Count > 0 ? items[^1].Id : null;
        var more = items.Count == limit && await db.Entities.AnyAsync(e => e.TenantId == tenant && e.EntityType == type && (includeDeleted || !e.Deleted) && e.Id.CompareTo(lastId) > 0, ct);
        return new EntityPage(items, more ? items[^1].Id : null);
    }

    public async Task<WriteOutcome> CreateAsync(string tenant, EntityTypeSchema schema, string id, EntityPatch patch, WriteContext who, CancellationToken ct = default, Func<WriteOutcome, Task>? beforeCommit = null)
    {
        using var span = EditSpan(tenant, schema.Name, id, "create", who);
        var now = clock.GetUtcNow();
        MergeResult merge;
        using (tracing.Start("entity.merge", tenant))
        {
            merge = SmartMerge.Create(schema, patch, now);
        }

        if (merge.Status == MergeStatus.Invalid)
        {
            return new WriteOutcome(WriteStatus.Invalid, null, merge, null);
        }

        return await InTenantTransactionAsync(tenant, async seq =>
        {
            var existing = await db.Entities.FirstOrDefaultAsync(e => e.TenantId == tenant && e.EntityType == schema.Name && e.Id == id, ct);
            if (existing is not null)
            {
                return (new WriteOutcome(WriteStatus.AlreadyExists, ToDto(existing), null, null), false);
            }

            var row = new EntityRow
            {
                TenantId = tenant,
                EntityType = schema.Name,
                Id = id,
                Version = merge.State.Version,
                Fields = Serialize(merge.State.Fields),
                FieldVersions = JsonSerializer.Serialize(merge.State.FieldVersions),
                CreatedAt = now,
                CreatedBy = who.Actor,
                UpdatedAt = now,
                UpdatedBy = who.Actor,
            };
            db.Entities.Add(row);
            db.Changes.Add(Change(tenant, seq, row, "create", merge.Changed, merge.State.Fields, [], who, now));
            await db.SaveChangesAsync(ct);
            return (new WriteOutcome(WriteStatus.Created, ToDto(row), merge, seq), true);
        }, ct, beforeCommit);
    }

    public async Task<WriteOutcome> UpdateAsync(string tenant, EntityTypeSchema schema, string id, EntityPatch patch, WriteContext who, CancellationToken ct = default, Func<WriteOutcome, Task>? beforeCommit = null)
    {
        using var span = EditSpan(tenant, schema.Name, id, "update", who);
        // Validation needs no lock; refuse bad input before taking the tenant's write lock.
        var errors = SmartMerge.Validate(schema, patch.Fields, creating: false);
        if (errors.Count > 0)
        {
            var invalid = new MergeResult(MergeStatus.Invalid, new EntitySnapshot(0, new Dictionary<string, JsonNode?>(), new Dictionary<string, long>()), [], [], [], [], errors);
            return new WriteOutcome(WriteStatus.Invalid, null, invalid, null);
        }

        var outcome = await InTenantTransactionAsync(tenant, async seq =>
        {
            var row = await db.Entities.FirstOrDefaultAsync(e => e.TenantId == tenant && e.EntityType == schema.Name && e.Id == id, ct);
            if (row is null || row.Deleted)
            {
                return (new WriteOutcome(WriteStatus.NotFound, null, null, null), false);
            }

            MergeResult merge;
            using (tracing.Start("entity.merge", tenant))
            {
                merge = SmartMerge.Update(schema, Snapshot(row), patch);
            }

            switch (merge.Status)
            {
                case MergeStatus.Invalid:
                    return (new WriteOutcome(WriteStatus.Invalid, ToDto(row), merge, null), false);
                case MergeStatus.Conflict:
                    return (new WriteOutcome(WriteStatus.Conflict, ToDto(row), merge, null), false);
                case MergeStatus.NoChange:
                    return (new WriteOutcome(WriteStatus.NoChange, ToDto(row), merge, null), false);
            }

            var now = clock.GetUtcNow();
            row.Version = merge.State.Version;
            row.Fields = Serialize(merge.State.Fields);
            row.FieldVersions = JsonSerializer.Serialize(merge.State.FieldVersions);
            row.UpdatedAt = now;
            row.UpdatedBy = who.Actor;
            db.Changes.Add(Change(tenant, seq, row, "update", merge.Changed, merge.State.Fields, merge.Conflicts.Select(c => c.Field).ToList(), who, now));
            await db.SaveChangesAsync(ct);
            return (new WriteOutcome(WriteStatus.Applied, ToDto(row), merge, seq), true);
        }, ct, beforeCommit);
        if (outcome.Merge is { Conflicts.Count: > 0 } merged && outcome.Status is WriteStatus.Conflict or WriteStatus.Applied)
        {
            EntityMetrics.MergeConflicts.Add(merged.Conflicts.Count, new KeyValuePair<string, object?>("policy", schema.ConflictPolicy.ToString()));
        }

        return outcome;
    }

    /// <summary>Soft delete; with <paramref name="baseVersion"/>, refused as a conflict when the entity changed since.</summary>
    public async Task<WriteOutcome> DeleteAsync(string tenant, string type, string id, long? baseVersion, WriteContext who, CancellationToken ct = default, Func<WriteOutcome, Task>? beforeCommit = null) =>
        await InTenantTransactionAsync(tenant, async seq =>
        {
            var row = await db.Entities.FirstOrDefaultAsync(e => e.TenantId == tenant && e.EntityType == type && e.Id == id, ct);
            if (row is null || row.Deleted)
            {
                return (new WriteOutcome(WriteStatus.NotFound, null, null, null), false);
            }

            if (baseVersion is { } expected && expected != row.Version)
            {
                return (new WriteOutcome(WriteStatus.Conflict, ToDto(row), null, null), false);
            }

            var now = clock.GetUtcNow();
            row.Version++;
            row.Deleted = true;
            row.DeletedAt = now;
            row.DeletedBy = who.Actor;
            row.UpdatedAt = now;
            row.UpdatedBy = who.Actor;
            db.Changes.Add(Change(tenant, seq, row, "delete", [], new Dictionary<string, JsonNode?>(), [], who, now));
            await db.SaveChangesAsync(ct);
            return (new WriteOutcome(WriteStatus.Deleted, ToDto(row), null, seq), true);
        }, ct, beforeCommit);

    /// <summary>Changes after <paramref name="afterSeq"/>, in sequence order, optionally of one type.</summary>
    public async Task<(IReadOnlyList<ChangeDto> Changes, bool HasMore)> ChangesAsync(string tenant, long afterSeq, int limit, string? type, CancellationToken ct = default)
    {
        var query = db.Changes.AsNoTracking().Where(c => c.TenantId == tenant && c.Seq > afterSeq);
        if (type is not null)
        {
            query = query.Where(c => c.EntityType == type);
        }

        var rows = await query.OrderBy(c => c.Seq).Take(limit + 1).ToListAsync(ct);
        return (rows.Take(limit).Select(ToDto).ToList(), rows.Count > limit);
    }

    public static ChangeDto ToDto(ChangeRow c) => new(
        c.Seq,
        c.EntityType,
        c.EntityId,
        c.Operation,
        c.Version,
        JsonNode.Parse(c.Changed)!.AsObject(),
        c.Conflicts is null ? [] : JsonSerializer.Deserialize<List<string>>(c.Conflicts)!,
        c.Actor,
        c.Origin,
        c.OccurredAt);

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction that first takes the tenant's next change sequence
    /// (an upsert on its counter row, which holds that row's lock until commit). Work that writes nothing
    /// returns false and the transaction, sequence included, is rolled back. <paramref name="beforeCommit"/> lets a
    /// caller write its own rows in the same transaction as a write that commits (sync receipts: applied once,
    /// recorded once); it may throw to roll the write back.
    /// </summary>
    private async Task<WriteOutcome> InTenantTransactionAsync(string tenant, Func<long, Task<(WriteOutcome Outcome, bool Commit)>> work, CancellationToken ct, Func<WriteOutcome, Task>? beforeCommit = null)
    {
        // SQLite has one writer per file; a second writer that finds it busy sleeps a flat 150 ms in the
        // driver before retrying. Queuing this process's writers on an async gate makes them wait only
        // as long as the write ahead of them (other processes still rely on the busy timeout).
        using var turn = db.Database.IsSqlite() ? await sqliteGate.EnterAsync(db.Database.GetConnectionString()!, ct) : null;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var seq = await TenantSequence.NextAsync(db, tx, tenant, ct);
        var (outcome, commit) = await work(seq);
        if (commit && beforeCommit is not null)
        {
            try
            {
                await beforeCommit(outcome);
                await db.SaveChangesAsync(ct);
            }
            catch
            {
                db.ChangeTracker.Clear();
                throw;
            }
        }

        if (commit)
        {
            using var span = tracing.Start("entity.commit", tenant);
            span?.SetTag("rs.seq", seq);
            await tx.CommitAsync(ct);
            feed.Committed(tenant, seq); // its publication span is a child of this one
        }
        else
        {
            await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
        }

        return outcome;
    }

    /// <summary>The root of an edit's trace (under the API request's span, or alone for a backoffice edit): merge, commit, change feed, history, fan-out follow.</summary>
    private System.Diagnostics.Activity? EditSpan(string tenant, string type, string id, string operation, WriteContext who)
    {
        var span = tracing.Start("entity.edit", tenant);
        span?.SetTag(ProductTelemetry.EntityTypeTag, type);
        span?.SetTag(ProductTelemetry.EntityIdTag, id);
        span?.SetTag("rs.operation", operation);
        span?.SetTag("rs.origin", who.Origin);
        return span;
    }

    private static ChangeRow Change(string tenant, long seq, EntityRow row, string operation, IReadOnlyList<string> changed, IReadOnlyDictionary<string, JsonNode?> fields, IReadOnlyList<string> conflicts, WriteContext who, DateTimeOffset now)
    {
        var values = new JsonObject();
        foreach (var name in changed)
        {
            values[name] = fields.TryGetValue(name, out var value) ? value?.DeepClone() : null;
        }

        return new ChangeRow
        {
            TenantId = tenant,
            Seq = seq,
            EntityType = row.EntityType,
            EntityId = row.Id,
            Operation = operation,
            Version = row.Version,
            Changed = values.ToJsonString(),
            Conflicts = conflicts.Count > 0 ? JsonSerializer.Serialize(conflicts) : null,
            Actor = who.Actor,
            Origin = who.Origin,
            OccurredAt = now,
        };
    }

    private static EntitySnapshot Snapshot(EntityRow row)
    {
        var fields = JsonNode.Parse(row.Fields)!.AsObject().ToDictionary(f => f.Key, f => f.Value?.DeepClone());
        var versions = JsonSerializer.Deserialize<Dictionary<string, long>>(row.FieldVersions)!;
        return new EntitySnapshot(row.Version, fields, versions);
    }

    private static string Serialize(IReadOnlyDictionary<string, JsonNode?> fields)
    {
        var obj = new JsonObject();
        foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            obj[name] = value?.DeepClone();
        }

        return obj.ToJsonString();
    }

    public static EntityDto ToDto(EntityRow row) => new(
        row.Id,
        row.EntityType,
        row.Version,
        JsonNode.Parse(row.Fields)!.AsObject(),
        JsonSerializer.Deserialize<Dictionary<string, long>>(row.FieldVersions)!,
        row.Deleted,
        row.CreatedAt,
        row.CreatedBy,
        row.UpdatedAt,
        row.UpdatedBy);

    private static bool Matches(JsonObject fields, string field, string? value) =>
        fields.TryGetPropertyValue(field, out var node) && node is not null
            && (node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString()) == value;
}
