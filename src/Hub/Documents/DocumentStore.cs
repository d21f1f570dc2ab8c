using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Hub.Documents;

/// <summary>
/// Documents and their immutable versions. Every change of a document row takes the tenant's next change
/// sequence first in its transaction (the same counter as entities, see <see cref="EntityStore"/>): the row's
/// <c>seq</c> then orders document changes commit-safely for <c>documents/sync</c>.
/// </summary>
public sealed class DocumentStore(RealtimeSyncDb db, TimeProvider clock, SqliteWriteGate sqliteGate)
{
    public Task<DocumentRow?> FindAsync(string tenant, string id, CancellationToken ct = default) =>
        db.Documents.AsNoTracking().FirstOrDefaultAsync(d => d.TenantId == tenant && d.Id == id, ct);

    public async Task<IReadOnlyList<DocumentRow>> ListAsync(string tenant, bool includeDeleted, CancellationToken ct = default) =>
        await db.Documents.AsNoTracking().Where(d => d.TenantId == tenant && (includeDeleted || !d.Deleted)).OrderBy(d => d.Id).ToListAsync(ct);

    public async Task<IReadOnlyList<DocumentVersionRow>> VersionsAsync(string tenant, string id, CancellationToken ct = default) =>
        await db.DocumentVersions.AsNoTracking().Where(v => v.TenantId == tenant && v.DocumentId == id).OrderBy(v => v.Version).ToListAsync(ct);

    public Task<DocumentVersionRow?> VersionAsync(string tenant, string id, int version, CancellationToken ct = default) =>
        db.DocumentVersions.AsNoTracking().FirstOrDefaultAsync(v => v.TenantId == tenant && v.DocumentId == id && v.Version == version, ct);

    /// <summary>Creates the document with version 1 (its bytes are already in the blob store under <paramref name="blobKey"/>).</summary>
    public async Task<DocumentRow> CreateAsync(string tenant, string id, string filename, string mime, string blobKey, SpooledFile file, string actor, CancellationToken ct = default) =>
        await InTenantTransactionAsync(tenant, async seq =>
        {
            var now = clock.GetUtcNow();
            var key = DocumentKey.New(id, 1);
            var row = new DocumentRow
            {
                TenantId = tenant, Id = id, Filename = filename, Mime = mime, CurrentVersion = 1, DocKey = key,
                Size = file.Size, Md5 = file.Md5, Sha256 = file.Sha256, Seq = seq,
                CreatedAt = now, CreatedBy = actor, UpdatedAt = now, UpdatedBy = actor,
            };
            db.Documents.Add(row);
            db.DocumentVersions.Add(new DocumentVersionRow
            {
                TenantId = tenant, DocumentId = id, Version = 1, BlobKey = blobKey, Size = file.Size, Md5 = file.Md5, Sha256 = file.Sha256,
                Source = "upload", DocKey = key, CreatedAt = now, CreatedBy = actor,
            });
            await db.SaveChangesAsync(ct);
            return row;
        }, ct);

    /// <summary>Soft delete: the row stays as a tombstone with a new seq. False when there is no live document.</summary>
    public async Task<bool> DeleteAsync(string tenant, string id, string actor, CancellationToken ct = default) =>
        await InTenantTransactionAsync(tenant, async seq =>
        {
            var row = await db.Documents.FirstOrDefaultAsync(d => d.TenantId == tenant && d.Id == id && !d.Deleted, ct);
            if (row is null)
            {
                return false;
            }

            var now = clock.GetUtcNow();
            row.Deleted = true;
            row.DeletedAt = now;
            row.DeletedBy = actor;
            row.UpdatedAt = now;
            row.UpdatedBy = actor;
            row.Seq = seq;
            await db.SaveChangesAsync(ct);
            return true;
        }, ct);

    /// <summary>Renames a document (metadata change: new seq).</summary>
    public async Task<DocumentRow?> RenameAsync(string tenant, string id, string filename, string actor, CancellationToken ct = default) =>
        await InTenantTransactionAsync(tenant, async seq =>
        {
            var row = await db.Documents.FirstOrDefaultAsync(d => d.TenantId == tenant && d.Id == id && !d.Deleted, ct);
            if (row is null)
            {
                return null;
            }

            row.Filename = filename;
            row.UpdatedAt = clock.GetUtcNow();
            row.UpdatedBy = actor;
            row.Seq = seq;
            await db.SaveChangesAsync(ct);
            return row;
        }, ct);

    /// <summary>
    /// Appends a version whose bytes are in the blob store and points the document at it. A status-2 save
    /// (<paramref name="rotateKey"/>) ends the editing session and gives the document a new key; force-saves keep it.
    /// The save job, when given, is marked committed in the same transaction, so a crash after this commit
    /// never stores the version twice.
    /// </summary>
    public async Task<int?> CommitVersionAsync(
        string tenant, string id, string blobKey, long size, string md5, string sha256, string source, string actor,
        bool rotateKey, bool endSession, long? jobId, CancellationToken ct = default) =>
        await InTenantTransactionAsync<int?>(tenant, async seq =>
        {
            var now = clock.GetUtcNow();
            var row = await db.Documents.FirstOrDefaultAsync(d => d.TenantId == tenant && d.Id == id, ct)
                ?? throw new InvalidOperationException($"Document {tenant}/{id} does not exist.");
            var version = row.CurrentVersion + 1;

            // Claim the job's commit first: 0 rows means another worker committed (or gave up on) it meanwhile.
            if (jobId is { } job && await db.SaveJobs.Where(j => j.Id == job && j.State == "pending").ExecuteUpdateAsync(
                    s => s.SetProperty(j => j.State, "committed").SetProperty(j => j.CommittedVersion, version)
                        .SetProperty(j => j.Owner, (string?)null).SetProperty(j => j.LeaseUntilMs, 0L).SetProperty(j => j.UpdatedAt, now), ct) == 0)
            {
                return null;
            }

            db.DocumentVersions.Add(new DocumentVersionRow
            {
                TenantId = tenant, DocumentId = id, Version = version, BlobKey = blobKey, Size = size, Md5 = md5, Sha256 = sha256,
                Source = source, DocKey = row.DocKey, CreatedAt = now, CreatedBy = actor,
            });
            row.CurrentVersion = version;
            row.Size = size;
            row.Md5 = md5;
            row.Sha256 = sha256;
            row.UpdatedAt = now;
            row.UpdatedBy = actor;
            row.Seq = seq;
            if (rotateKey)
            {
                row.DocKey = DocumentKey.New(id, version);
            }

            if (endSession)
            {
                row.SessionState = "closed";
                row.SessionAt = now;
            }

            await db.SaveChangesAsync(ct);
            return version;
        }, ct);

    /// <summary>
    /// Appends a version a client uploaded, only while the document is still at <paramref name="baseVersion"/>: the
    /// check and the commit are one transaction, so of two clients uploading from the same version one wins and the
    /// other learns the current version. Returns the new version, or the current one with <c>Stale</c> (null when the
    /// document does not exist or is deleted).
    /// </summary>
    public async Task<(int Version, bool Stale)?> CommitClientVersionAsync(
        string tenant, string id, int baseVersion, string blobKey, SpooledFile file, string actor, CancellationToken ct = default)
    {
        try
        {
            return await InTenantTransactionAsync<(int, bool)?>(tenant, async seq =>
            {
                var row = await db.Documents.FirstOrDefaultAsync(d => d.TenantId == tenant && d.Id == id && !d.Deleted, ct);
                if (row is null || row.CurrentVersion != baseVersion)
                {
                    // Thrown, not returned: the transaction rolls back and the seq it took is not used.
                    throw new NotCommittedException(row is null ? null : (row.CurrentVersion, true));
                }

                var now = clock.GetUtcNow();
                var version = row.CurrentVersion + 1;
                db.DocumentVersions.Add(new DocumentVersionRow
                {
                    TenantId = tenant, DocumentId = id, Version = version, BlobKey = blobKey, Size = file.Size, Md5 = file.Md5, Sha256 = file.Sha256,
                    Source = "client-upload", DocKey = row.DocKey, CreatedAt = now, CreatedBy = actor,
                });
                row.CurrentVersion = version;
                row.Size = file.Size;
                row.Md5 = file.Md5;
                row.Sha256 = file.Sha256;
                row.UpdatedAt = now;
                row.UpdatedBy = actor;
                row.Seq = seq;
                row.DocKey = DocumentKey.New(id, version); // new content for the editor too
                await db.SaveChangesAsync(ct);
                return (version, false);
            }, ct);
        }
        catch (NotCommittedException e)
        {
            db.ChangeTracker.Clear();
            return e.Result;
        }
    }

    private sealed class NotCommittedException((int, bool)? result) : Exception
    {
        public (int Version, bool Stale)? Result { get; } = result;
    }

    /// <summary>Editing session state from callbacks 1/4 (no seq: not a change of the document's content or metadata).</summary>
    public async Task SetSessionAsync(string tenant, string id, string state, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        await db.Documents.Where(d => d.TenantId == tenant && d.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.SessionState, state).SetProperty(d => d.SessionAt, now), ct);
    }

    private async Task<T> InTenantTransactionAsync<T>(string tenant, Func<long, Task<T>> work, CancellationToken ct)
    {
        // Queue this process's SQLite writers, then the counter upsert first (entity writes take it last instead; both
        // hold it until commit, which is what keeps sequence numbers committing in order, see TenantSequence).
        using var turn = db.Database.IsSqlite() ? await sqliteGate.EnterAsync(db.Database.GetConnectionString()!, ct) : null;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var seq = await TenantSequence.NextAsync(db, tx, tenant, ct);
        var result = await work(seq);
        await tx.CommitAsync(ct);
        return result;
    }
}
