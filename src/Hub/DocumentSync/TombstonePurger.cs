using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.DocumentSync.Internal;
using RealtimeSync.Hub.Infrastructure.Locking;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Storage;

namespace RealtimeSync.Hub.DocumentSync;

/// <summary>
/// Removes document tombstones older than <c>Sync:TombstoneRetentionDays</c> (rows, versions and their blobs) and
/// records per tenant the highest purged seq, so <c>documents/sync</c> can tell a cursor that may have missed a
/// deletion to reset. Safe on several nodes at once: every step is idempotent (deleting what is already gone does
/// nothing, the horizon only ever grows), so two nodes purging together do the same work twice, never harm.
/// </summary>
public sealed class TombstonePurger(
    RealtimeSyncDb db, IBlobStore blobs, TimeProvider clock, IOptionsMonitor<DocumentSyncOptions> options, SqliteWriteGate sqliteGate, ILogger<TombstonePurger> log)
{
    /// <summary>One pass over every tenant; returns the number of tombstones removed.</summary>
    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        var tenants = await db.Tenants.AsNoTracking().Select(t => t.Id).ToListAsync(ct);
        var total = 0;
        foreach (var tenant in tenants)
        {
            total += await PurgeTenantAsync(tenant, ct);
        }

        return total;
    }

    public async Task<int> PurgeTenantAsync(string tenant, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var cutoff = clock.GetUtcNow() - TimeSpan.FromDays(settings.TombstoneRetentionDays);
        var batchSize = Math.Max(1, settings.TombstonePurgeBatchSize);
        var total = 0;
        var after = 0L;
        while (true)
        {
            // Tombstones in seq order; stop at the first one still within retention, so the horizon stays as low as
            // possible (a tombstone with a later seq but an earlier clock on another node just waits a pass).
            var candidates = await db.Documents.AsNoTracking()
                .Where(d => d.TenantId == tenant && d.Deleted && d.Seq > after)
                .OrderBy(d => d.Seq)
                .Select(d => new { d.Id, d.Seq, d.DeletedAt })
                .Take(batchSize)
                .ToListAsync(ct);
            var expired = candidates.TakeWhile(d => d.DeletedAt is { } at && at < cutoff).ToList();
            if (expired.Count == 0)
            {
                return total;
            }

            var ids = expired.Select(d => d.Id).ToList();
            var horizon = expired[^1].Seq;
            await DeleteBlobsAsync(tenant, ids, horizon, ct);
            await DeleteRowsAsync(tenant, ids, horizon, ct);
            total += expired.Count;
            after = horizon;
            DocumentSyncMetrics.TombstonesPurged.Add(expired.Count);
            DocumentSyncLog.TombstonesPurged(log, tenant, expired.Count, horizon);
            if (expired.Count < candidates.Count || candidates.Count < batchSize)
            {
                return total;
            }
        }
    }

    // Blobs go first: a crash between the two steps leaves a tombstone whose blobs are gone (never served: it is
    // deleted), which the next pass finishes, instead of blobs no row points at any more.
    private async Task DeleteBlobsAsync(string tenant, List<string> ids, long horizon, CancellationToken ct)
    {
        var versions = await db.DocumentVersions.AsNoTracking()
            .Where(v => v.TenantId == tenant && ids.Contains(v.DocumentId)
                && db.Documents.Any(d => d.TenantId == tenant && d.Id == v.DocumentId && d.Deleted && d.Seq <= horizon))
            .Select(v => new { v.DocumentId, v.BlobKey })
            .ToListAsync(ct);
        foreach (var version in versions)
        {
            try
            {
                await blobs.DeleteAsync(version.BlobKey, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                DocumentSyncLog.BlobDeleteFailed(log, e, tenant, version.DocumentId, version.BlobKey);
                throw;
            }
        }
    }

    private async Task DeleteRowsAsync(string tenant, List<string> ids, long horizon, CancellationToken ct)
    {
        using var turn = db.Database.IsSqlite() ? await sqliteGate.EnterAsync(db.Database.GetConnectionString()!, ct) : null;
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        // The horizon is raised in the same transaction as the delete: a reader sees both or neither.
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO document_sync_horizons (tenant_id, purged_seq) VALUES ({tenant}, {horizon})
                ON CONFLICT (tenant_id) DO UPDATE SET purged_seq = GREATEST(document_sync_horizons.purged_seq, excluded.purged_seq)
                """, ct);
        }
        else
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO document_sync_horizons (tenant_id, purged_seq) VALUES ({tenant}, {horizon})
                ON CONFLICT (tenant_id) DO UPDATE SET purged_seq = MAX(document_sync_horizons.purged_seq, excluded.purged_seq)
                """, ct);
        }

        // "Deleted and seq at or below the horizon" again: a row changed since it was read is left alone.
        await db.DocumentVersions
            .Where(v => v.TenantId == tenant && ids.Contains(v.DocumentId)
                && db.Documents.Any(d => d.TenantId == tenant && d.Id == v.DocumentId && d.Deleted && d.Seq <= horizon))
            .ExecuteDeleteAsync(ct);
        await db.Documents.Where(d => d.TenantId == tenant && ids.Contains(d.Id) && d.Deleted && d.Seq <= horizon).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
    }
}

/// <summary>
/// Runs <see cref="TombstonePurger"/> every <c>Sync:TombstonePurgeIntervalMinutes</c> on one node of the cluster at a
/// time (a singleton job). Holds no logic of its own; the purge is idempotent as well, so a pass that overlaps a
/// lost lock's last pass removes nothing twice.
/// </summary>
public sealed class TombstoneCleanupJob(IServiceScopeFactory scopes, IOptionsMonitor<DocumentSyncOptions> options) : ISingletonJob
{
    public string Name => "document-tombstone-purge";

    public TimeSpan Interval => TimeSpan.FromMinutes(Math.Max(1, options.CurrentValue.TombstonePurgeIntervalMinutes));

    public async Task RunOnceAsync(SingletonJobContext context, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TombstonePurger>().PurgeAsync(ct);
    }
}
