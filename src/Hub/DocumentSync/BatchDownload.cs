using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.DocumentSync.Internal;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Hub.DocumentSync;

/// <summary>One document of a batch download: its committed version's blob.</summary>
public sealed record BatchItem(string Id, string Filename, int Version, string BlobKey, long Size, string Md5, string Sha256);

/// <param name="Items">In the order the client asked for them.</param>
/// <param name="Missing">Requested ids with no live document of the tenant.</param>
public sealed record BatchPlan(List<BatchItem> Items, List<string> Missing, long TotalBytes);

/// <summary>
/// Builds and streams <c>batch-download</c> archives. The zip is written in create mode straight onto the response
/// body, one entry at a time, each blob copied through a fixed buffer: memory stays at one buffer however large the
/// batch, and the client receives the first entry while later blobs have not been opened yet.
/// </summary>
public sealed class BatchDownload(RealtimeSyncDb db, IBlobStore blobs, ILogger<BatchDownload> log)
{
    /// <summary>Entry name of the manifest (id, file name, version, size, md5, sha256 of every entry).</summary>
    public const string ManifestName = "manifest.json";

    public async Task<BatchPlan> PlanAsync(string tenant, List<string> ids, CancellationToken ct)
    {
        var rows = await db.Documents.AsNoTracking()
            .Where(d => d.TenantId == tenant && ids.Contains(d.Id) && !d.Deleted)
            .Join(db.DocumentVersions.AsNoTracking(),
                d => new { d.TenantId, DocumentId = d.Id, Version = d.CurrentVersion },
                v => new { v.TenantId, v.DocumentId, v.Version },
                (d, v) => new BatchItem(d.Id, d.Filename, v.Version, v.BlobKey, v.Size, v.Md5, v.Sha256))
            .ToListAsync(ct);
        var byId = rows.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var items = ids.Where(byId.ContainsKey).Select(id => byId[id]).ToList();
        var missing = ids.Where(id => !byId.ContainsKey(id)).ToList();
        return new BatchPlan(items, missing, items.Sum(i => i.Size));
    }

    public async Task WriteAsync(HttpContext http, string tenant, BatchPlan plan)
    {
        var ct = http.RequestAborted;
        http.Response.ContentType = "application/zip";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{tenant}-documents.zip\"";
        StoredFiles.ApplyHeaders(http.Response);
        var written = 0;
        try
        {
            var body = new AsyncOnlyWriteStream(http.Response.Body);
            await using (var zip = await ZipArchive.CreateAsync(body, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8, ct))
            {
                await WriteEntriesAsync(zip, body, plan, () => written++, ct);
            }

            await body.FlushAsync(ct); // the central directory
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Amazon.Runtime.AmazonServiceException)
        {
            // The status line is gone; abort the connection so the client sees a truncated (invalid) archive, never
            // a well-formed one missing entries.
            DocumentSyncLog.BatchDownloadAborted(log, e, tenant, written);
            http.Abort();
        }
    }

    private async Task WriteEntriesAsync(ZipArchive zip, AsyncOnlyWriteStream body, BatchPlan plan, Action entryWritten, CancellationToken ct)
    {
        var manifest = zip.CreateEntry(ManifestName, CompressionLevel.Fastest);
        await using (var stream = await manifest.OpenAsync(ct))
        {
            await JsonSerializer.SerializeAsync(stream, plan.Items.Select(i => new
            {
                id = i.Id, entry = EntryName(i), filename = i.Filename, version = i.Version, size = i.Size, md5 = i.Md5, sha256 = i.Sha256,
            }), cancellationToken: ct);
        }

        foreach (var item in plan.Items)
        {
            // Documents are mostly already-compressed formats (docx, xlsx, pdf, images): store, don't deflate again.
            var entry = zip.CreateEntry(EntryName(item), CompressionLevel.NoCompression);
            await using var blob = await blobs.GetAsync(item.BlobKey, ct)
                ?? throw new IOException($"The blob of {item.Id} version {item.Version} is missing.");
            await using (var target = await entry.OpenAsync(ct))
            {
                await blob.Stream.CopyToAsync(target, 81920, ct);
            }

            await body.FlushAsync(ct); // this entry's trailer; the client has the whole entry before the next blob opens
            DocumentSyncMetrics.ZipBytes.Add(item.Size);
            entryWritten();
        }
    }

    // Names stored before uploads were cleaned may still hold "..\", "/" or a right-to-left override.
    private static string EntryName(BatchItem item) => $"{item.Id}/{FileName.Clean(item.Filename) ?? "document"}";
}
