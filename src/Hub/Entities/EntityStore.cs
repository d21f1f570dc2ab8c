using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
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
/// log with a per-tenant sequence. A write is decided on its entity's current row and never overwrites a version
/// it did not read (a row lock, or on PostgreSQL a one-statement write conditional on the version: no lost update),
/// and takes the tenant's sequence at the last instant before commit (sequence numbers commit in order, see
/// <see cref="TenantSequence"/>). Committed changes are handed to <see cref="EntityChangeFeed"/> in memory.
/// </summary>
public sealed class EntityStore(RealtimeSyncDb db, TimeProvider clock, EntityChangeFeed feed, SqliteWriteGate sqliteGate, Tracing tracing, IOptions<EntityWriteOptions> options, EntityRowCache cache)
{
    /// <summary>Optimistic tries of a PostgreSQL edit before it takes the row lock instead (each lost try means another write of the same entity committed).</summary>
    private const int OptimisticAttempts = 3;

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
        MergeResult? merge;
        WriteOutcome? invalid;
        using (tracing.Start("entity.merge", tenant))
        {
            invalid = EntityWrites.Precheck(schema, patch, creating: true, now, out merge);
        }

        if (invalid is not null)
        {
            return invalid;
        }

        return await WriteAsync(tenant, schema.Name, id, existing => EntityWrites.Create(tenant, schema, id, merge!, existing, who, now), ct, beforeCommit);
    }

    public async Task<WriteOutcome> UpdateAsync(string tenant, EntityTypeSchema schema, string id, EntityPatch patch, WriteContext who, CancellationToken ct = default, Func<WriteOutcome, Task>? beforeCommit = null)
    {
        using var span = EditSpan(tenant, schema.Name, id, "update", who);
        // Validation needs no lock; refuse bad input before taking any.
        if (EntityWrites.Precheck(schema, patch, creating: false, clock.GetUtcNow(), out _) is { } invalid)
        {
            return invalid;
        }

        var outcome = await WriteAsync(tenant, schema.Name, id, row =>
        {
            using (tracing.Start("entity.merge", tenant))
            {
                return EntityWrites.Update(tenant, schema, patch, row, who, clock.GetUtcNow());
            }
        }, ct, beforeCommit);
        EntityMetrics.Conflicts(schema, outcome);
        return outcome;
    }

    /// <summary>Soft delete; with <paramref name="baseVersion"/>, refused as a conflict when the entity changed since.</summary>
    public async Task<WriteOutcome> DeleteAsync(string tenant, string type, string id, long? baseVersion, WriteContext who, CancellationToken ct = default, Func<WriteOutcome, Task>? beforeCommit = null)
    {
        using var span = EditSpan(tenant, type, id, "delete", who);
        return await WriteAsync(tenant, type, id, row => EntityWrites.Delete(tenant, baseVersion, row, who, clock.GetUtcNow()), ct, beforeCommit);
    }

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
    /// Decides a write on the entity's current row and makes it. On PostgreSQL a write with nothing else to record in
    /// its transaction is one statement (<see cref="EntityStatement"/>): the row is read without a lock, the write
    /// decided, then written only if the row is still that version; if it moved, it is decided again on the new row,
    /// and after <see cref="OptimisticAttempts"/> such races the locking transaction below decides it. Writes with
    /// receipts (<paramref name="beforeCommit"/>) and SQLite (one writer, no network round trips) use the transaction.
    /// </summary>
    private async Task<WriteOutcome> WriteAsync(string tenant, string type, string id, Func<EntityRow?, PlannedWrite> decide, CancellationToken ct, Func<WriteOutcome, Task>? beforeCommit)
    {
        if (beforeCommit is null && options.Value.OneStatementEdits && !db.Database.IsSqlite())
        {
            for (var attempt = 0; attempt < OptimisticAttempts; attempt++)
            {
                // First try: the row as this node last wrote it, if it has it (no read). Its decision is only used when
                // it writes: the write then fails if the row moved. Anything else is decided again on a fresh read.
                var cached = attempt == 0 ? cache.Find(tenant, type, id) : null;
                var row = cached ?? await ReadAsync(tenant, type, id, locked: false, ct);
                var readVersion = row?.Version; // the decision may change the row in place
                var planned = decide(row);
                if (planned.Change is null && cached is not null)
                {
                    row = await ReadAsync(tenant, type, id, locked: false, ct);
                    readVersion = row?.Version;
                    cached = null;
                    planned = decide(row);
                }

                if (planned.Change is null)
                {
                    return planned.Outcome;
                }

                using var commit = tracing.Start("entity.commit", tenant);
                commit?.SetTag("rs.row", cached is null ? "read" : "cached");
                var written = planned.Created ?? row!;
                var seq = await EntityStatement.WriteAsync(db, written, planned.Created is null ? readVersion : null, planned.Change(0), ct);
                if (seq is { } committed)
                {
                    commit?.SetTag("rs.seq", committed);
                    cache.Remember(written);
                    feed.Committed(tenant, [planned.Change(committed)]); // its publication span is a child of this one
                    return planned.Outcome with { Seq = committed };
                }

                commit?.SetTag("rs.retry", "row-moved");
                cache.Forget(tenant, type, id);
            }
        }

        return await InTenantTransactionAsync(tenant, type, id, decide, ct, beforeCommit);
    }

    /// <summary>
    /// Runs <paramref name="plan"/> in a transaction: it locks and reads the entity's row (PostgreSQL: <c>FOR UPDATE</c>,
    /// so two writers of one entity never merge against the same version) and decides the write. A write that
    /// changes something takes — at the last instant — the tenant's next sequence, then saves its row with the
    /// change-log row (and <paramref name="beforeCommit"/>'s rows: sync receipts, applied once and recorded
    /// once; it may throw to roll the write back) in one round trip and commits (a create inserts its row before
    /// the sequence: that insert is its lock). The committed change goes to the feed in memory. The counter row is
    /// held only for that last step, which keeps sequence numbers committing in order (see <see cref="TenantSequence"/>).
    /// A write that changes nothing is rolled back. A create that loses a race for its id to another node is decided once
    /// more: it then finds the row and answers AlreadyExists. On SQLite a write without receipts reads and writes with
    /// plain statements (<see cref="SqliteEntityStatements"/>) instead of EF Core, under SQLite's write lock from the
    /// transaction's start.
    /// </summary>
    private async Task<WriteOutcome> InTenantTransactionAsync(string tenant, string type, string id, Func<EntityRow?, PlannedWrite> decide, CancellationToken ct, Func<WriteOutcome, Task>? beforeCommit)
    {
        // On SQLite an edit with nothing else in its transaction is plain statements on the writer thread (no EF Core
        // query or change tracking there: the writer thread is the file's bottleneck).
        var plainStatements = beforeCommit is null && options.Value.OneStatementEdits && db.Database.IsSqlite();
        var raced = false;
        while (true)
        {
            var outcome = await OnceAsync();
            if (outcome is not null)
            {
                return outcome;
            }

            raced = true;
        }

        async Task<WriteOutcome?> OnceAsync()
        {
            if (!db.Database.IsSqlite())
            {
                return await TransactionAsync();
            }

            // SQLite has one writer per file: the transaction runs on the file's writer thread after the writes queued
            // before it (SqliteWriteGate); the span measures that wait. A backoffice circuit's edit (it has a
            // synchronization context) instead runs on the circuit under a turn of the writer thread, as before the
            // writer thread: its own push then reaches the circuit inline, during the save.
            if (SynchronizationContext.Current is not null)
            {
                IDisposable turn;
                using (tracing.Start("sqlite.write-turn", tenant))
                {
                    turn = await sqliteGate.EnterAsync(db.Database.GetConnectionString()!, ct);
                }

                using (turn)
                {
                    return await TransactionAsync();
                }
            }

            var waiting = tracing.Start("sqlite.write-turn", tenant);
            try
            {
                return await sqliteGate.RunAsync(db.Database.GetConnectionString()!, () =>
                {
                    waiting?.Dispose();
                    return TransactionAsync();
                }, ct);
            }
            finally
            {
                waiting?.Dispose();
            }
        }

        async Task<WriteOutcome?> TransactionAsync()
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            try
            {
                var connection = db.Database.GetDbConnection();
                var row = plainStatements
                    ? await ReadPlainAsync(connection, tx.GetDbTransaction())
                    : await ReadAsync(tenant, type, id, locked: true, ct);

                var planned = decide(row);
                if (planned.Change is null)
                {
                    await tx.RollbackAsync(ct);
                    return planned.Outcome;
                }

                if (plainStatements)
                {
                    // The row was read under SQLite's write lock, held since: a create's id is still free.
                    await SqliteEntityStatements.WriteAsync(connection, tx.GetDbTransaction(), planned.Created ?? row!, planned.Created is not null, ct);
                }
                else if (planned.Created is { } created)
                {
                    // A create's row is its lock: it is inserted before the counter is taken, as in the batch path
                    // (rows first, then the counter), so no two writers ever take the two in opposite orders.
                    db.Entities.Add(created);
                    try
                    {
                        await db.SaveChangesAsync(ct);
                    }
                    catch (DbUpdateException) when (!raced)
                    {
                        await tx.RollbackAsync(ct);
                        return null; // another node created the same id since the read
                    }
                }

                var seq = await TenantSequence.NextAsync(db, tx, tenant, ct);
                var outcome = planned.Outcome with { Seq = seq };
                var change = planned.Change(seq);
                if (plainStatements)
                {
                    await SqliteEntityStatements.InsertChangeAsync(connection, tx.GetDbTransaction(), change, ct);
                }
                else
                {
                    db.Changes.Add(change);
                    if (beforeCommit is not null)
                    {
                        await beforeCommit(outcome);
                    }

                    // An update's or delete's row (locked since it was read) goes with the change-log row in one round trip.
                    await db.SaveChangesAsync(ct);
                }

                using (var commit = tracing.Start("entity.commit", tenant))
                {
                    commit?.SetTag("rs.seq", seq);
                    await tx.CommitAsync(ct);
                    // Pushed from here, with no thread-pool hop in between (on SQLite, from the writer thread: a hand-off
                    // to a thread of its own measured 3 ms more at p50 on a busy machine, waiting to be scheduled).
                    feed.Committed(tenant, [change]); // its publication span is a child of this one
                }

                return outcome;
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
        }

        async Task<EntityRow?> ReadPlainAsync(DbConnection connection, DbTransaction tx)
        {
            using var span = tracing.Start("entity.read", tenant);
            return await SqliteEntityStatements.ReadAsync(connection, tx, tenant, type, id, ct);
        }
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

    /// <summary>
    /// The entity's row. <paramref name="locked"/>: tracked, and on PostgreSQL locked until the transaction ends (SQLite
    /// has one writer); otherwise a plain read for the one-statement write.
    /// </summary>
    private async Task<EntityRow?> ReadAsync(string tenant, string type, string id, bool locked, CancellationToken ct)
    {
        using var span = tracing.Start("entity.read", tenant);
        if (!locked)
        {
            return await db.Entities.AsNoTracking().FirstOrDefaultAsync(e => e.TenantId == tenant && e.EntityType == type && e.Id == id, ct);
        }

        return db.Database.IsSqlite()
            ? await db.Entities.FirstOrDefaultAsync(e => e.TenantId == tenant && e.EntityType == type && e.Id == id, ct)
            : await db.Entities.FromSql($"SELECT * FROM entities WHERE tenant_id = {tenant} AND entity_type = {type} AND id = {id} FOR UPDATE").FirstOrDefaultAsync(ct);
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
