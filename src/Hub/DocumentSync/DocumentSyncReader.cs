using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.DocumentSync;

/// <summary>A document as <c>documents/sync</c> lists it (file metadata of the committed version).</summary>
public sealed record SyncDocumentDto(string Id, string Filename, string Mime, long Size, string Md5, string Sha256, int Version, DateTimeOffset UpdatedAt);

/// <summary>A tombstone as <c>documents/sync</c> lists it.</summary>
public sealed record SyncTombstoneDto(string Id, DateTimeOffset? DeletedAt);

/// <summary>
/// One <c>documents/sync</c> answer. <see cref="Reset"/> true means the cursor is older than the tombstone retention:
/// the lists are empty and the client must start over with a full snapshot (no cursor).
/// </summary>
public sealed record DocumentSyncPageDto(
    List<SyncDocumentDto> Added, List<SyncDocumentDto> Modified, List<SyncTombstoneDto> Deleted, string? Cursor, bool HasMore, bool Reset);

/// <summary>A page read from the database, before it becomes a response.</summary>
/// <param name="PurgedThroughSeq">The tenant's purge horizon when the page was read.</param>
public sealed record DocumentSyncPage(DocumentSyncPageDto Body, string ETag, long PurgedThroughSeq);

/// <summary>
/// Reads <c>documents/sync</c> pages with keyset paging on <c>(tenant_id, seq, id)</c>. Commit safety comes from the
/// writers: every change of a document takes the tenant's next seq from <c>tenant_counters</c> first in its
/// transaction and holds that row lock until commit, so seqs become visible in order and a reader that has seen
/// seq N can never later meet a newly committed row below N.
/// </summary>
public sealed class DocumentSyncReader(RealtimeSyncDb db)
{
    public async Task<DocumentSyncPage> ReadAsync(string tenant, DocumentSyncPosition after, int limit, bool includeDeleted, CancellationToken ct)
    {
        var rows = await QueryAsync(tenant, after, limit + 1, includeDeleted, ct);

        // Read the horizon after the page: a purge that committed before the page's snapshot is then always seen
        // (reset), and one that committed after it cannot have removed anything from this page.
        var purgedThrough = await PurgedThroughAsync(tenant, ct);
        if (DocumentSyncRules.NeedsReset(after, purgedThrough))
        {
            var reset = new DocumentSyncPageDto([], [], [], null, false, true);
            return new DocumentSyncPage(reset, DocumentSyncRules.ETag(tenant, after, limit, includeDeleted, after, false, purgedThrough), purgedThrough);
        }

        var hasMore = rows.Count > limit;
        var page = hasMore ? rows.GetRange(0, limit) : rows;
        List<SyncDocumentDto> added = [], modified = [];
        List<SyncTombstoneDto> deleted = [];
        foreach (var row in page)
        {
            switch (DocumentSyncRules.Classify(row.Deleted, row.CreatedSeq, after))
            {
                case DocumentChangeKind.Deleted:
                    deleted.Add(new SyncTombstoneDto(row.Id, row.DeletedAt));
                    break;
                case DocumentChangeKind.Added:
                    added.Add(row.ToDto());
                    break;
                default:
                    modified.Add(row.ToDto());
                    break;
            }
        }

        var end = page.Count > 0 ? new DocumentSyncPosition(page[^1].Seq, page[^1].Id) : after;
        var body = new DocumentSyncPageDto(added, modified, deleted, DocumentSyncCursor.Encode(end), hasMore, false);
        return new DocumentSyncPage(body, DocumentSyncRules.ETag(tenant, after, limit, includeDeleted, end, hasMore, purgedThrough), purgedThrough);
    }

    /// <summary>The seq through which tombstones of the tenant have been purged (0: never).</summary>
    public async Task<long> PurgedThroughAsync(string tenant, CancellationToken ct) =>
        await db.Database.SqlQuery<long>($"SELECT purged_seq AS \"Value\" FROM document_sync_horizons WHERE tenant_id = {tenant}")
            .SingleOrDefaultAsync(ct); // tenant_id is the key: at most one row

    private async Task<List<SyncRow>> QueryAsync(string tenant, DocumentSyncPosition after, int take, bool includeDeleted, CancellationToken ct)
    {
        // Row-value comparison so both providers seek the (tenant_id, seq, id) index instead of filtering.
        var query = includeDeleted
            ? db.Database.SqlQuery<SyncRow>($"""
                SELECT id AS "Id", filename AS "Filename", mime AS "Mime", current_version AS "Version", size AS "Size", md5 AS "Md5",
                       sha256 AS "Sha256", seq AS "Seq", created_seq AS "CreatedSeq", deleted AS "Deleted", deleted_at AS "DeletedAt", updated_at AS "UpdatedAt"
                FROM documents
                WHERE tenant_id = {tenant} AND (seq, id) > ({after.Seq}, {after.Id})
                ORDER BY seq, id
                LIMIT {take}
                """)
            : db.Database.SqlQuery<SyncRow>($"""
                SELECT id AS "Id", filename AS "Filename", mime AS "Mime", current_version AS "Version", size AS "Size", md5 AS "Md5",
                       sha256 AS "Sha256", seq AS "Seq", created_seq AS "CreatedSeq", deleted AS "Deleted", deleted_at AS "DeletedAt", updated_at AS "UpdatedAt"
                FROM documents
                WHERE tenant_id = {tenant} AND (seq, id) > ({after.Seq}, {after.Id}) AND NOT deleted
                ORDER BY seq, id
                LIMIT {take}
                """);
        return await query.ToListAsync(ct);
    }

    /// <summary>The columns of a documents row that a sync page needs.</summary>
    public sealed class SyncRow
    {
        public required string Id { get; init; }

        public required string Filename { get; init; }

        public required string Mime { get; init; }

        public int Version { get; init; }

        public long Size { get; init; }

        public required string Md5 { get; init; }

        public required string Sha256 { get; init; }

        public long Seq { get; init; }

        public long CreatedSeq { get; init; }

        public bool Deleted { get; init; }

        public DateTimeOffset? DeletedAt { get; init; }

        public DateTimeOffset UpdatedAt { get; init; }

        public SyncDocumentDto ToDto() => new(Id, Filename, Mime, Size, Md5, Sha256, Version, UpdatedAt);
    }
}
