using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Documents.Internal;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Hub.Documents;

public sealed record DocumentDto(
    string Id, string Filename, string Mime, int Version, string Key, long Size, string Md5, string Sha256,
    string? Session, long Seq, bool Deleted, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    public static DocumentDto From(DocumentRow d) => new(d.Id, d.Filename, d.Mime, d.CurrentVersion, d.DocKey, d.Size, d.Md5, d.Sha256,
        d.SessionState, d.Seq, d.Deleted, d.CreatedAt, d.CreatedBy, d.UpdatedAt, d.UpdatedBy);
}

public sealed record DocumentVersionDto(int Version, long Size, string Md5, string Sha256, string Source, string BlobKey, DateTimeOffset CreatedAt, string CreatedBy)
{
    public static DocumentVersionDto From(DocumentVersionRow v) => new(v.Version, v.Size, v.Md5, v.Sha256, v.Source, v.BlobKey, v.CreatedAt, v.CreatedBy);
}

/// <param name="Node">The node that spooled the save: only its worker can upload it (spools are per node).</param>
public sealed record SaveJobDto(long Id, int CallbackStatus, string State, int Attempts, string? LastError, long Size, string Sha256, int? CommittedVersion, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string Node);

public sealed record CallbackDto(int Status, string Key, string? LastSave, string Outcome, string? Detail, DateTimeOffset ReceivedAt);

/// <summary>The committed version as the blob store returns it now.</summary>
public sealed record StoredBlobDto(string BlobKey, bool Exists, long? Size, string? Md5, string? Sha256, DateTimeOffset? LastModified, bool MatchesDatabase, string? Error = null);

public sealed record DiagnosticsDto(DocumentDto Document, StoredBlobDto Committed, IReadOnlyList<DocumentVersionDto> Versions, IReadOnlyList<SaveJobDto> PendingOrFailedJobs, IReadOnlyList<CallbackDto> Callbacks);

public enum ForceSaveOutcome
{
    /// <summary>A status-6 version was committed.</summary>
    Committed,

    /// <summary>Document Server had nothing to save (error 4), or no editing session is open.</summary>
    NothingToSave,

    /// <summary>Accepted, but the version did not commit within <see cref="DocumentsOptions.ForceSaveWaitSeconds"/>.</summary>
    TimedOut,

    /// <summary>Document Server refused or could not be reached.</summary>
    Failed,

    NotConfigured,
}

public sealed record ForceSaveResult(ForceSaveOutcome Outcome, int Version, string? Detail = null);

/// <summary>
/// Document operations shared by the HTTP API and (later) the admin: upload, versions, restore as a new
/// version, force-save, reading the committed content and diagnostics.
/// </summary>
public sealed class DocumentService(
    RealtimeSyncDb db,
    DocumentStore store,
    IBlobStore blobs,
    SaveSpool spool,
    SaveStatusPublisher status,
    DocumentServerClient documentServer,
    IOptionsMonitor<DocumentsOptions> options,
    IOptionsMonitor<OnlyOfficeOptions> onlyOffice,
    ILogger<DocumentService> log)
{
    /// <summary>Creates a document and its version 1 from <paramref name="content"/> (throws <see cref="SpoolLimitExceededException"/>).</summary>
    public async Task<DocumentDto> UploadAsync(string tenant, string filename, string mime, Stream content, string actor, CancellationToken ct)
    {
        var file = await spool.WriteAsync(content, options.CurrentValue.MaxUploadBytes, ct);
        try
        {
            var id = Guid.NewGuid().ToString("N");
            var blobKey = $"documents/{tenant}/{id}/v1-{Guid.NewGuid():N}";
            await using (var stream = File.OpenRead(file.Path))
            {
                await blobs.PutAsync(blobKey, stream, mime, ct);
            }

            return DocumentDto.From(await store.CreateAsync(tenant, id, filename, mime, blobKey, file, actor, ct));
        }
        finally
        {
            spool.Delete(file.Name);
        }
    }

    /// <summary>Copies version <paramref name="version"/> into a new current version (source restore-vN). Null when there is no such version.</summary>
    public async Task<int?> RestoreAsync(string tenant, string id, int version, string actor, CancellationToken ct)
    {
        var document = await store.FindAsync(tenant, id, ct);
        var old = await store.VersionAsync(tenant, id, version, ct);
        if (document is null || document.Deleted || old is null)
        {
            return null;
        }

        var blobKey = $"documents/{tenant}/{id}/restore-{Guid.NewGuid():N}";
        await using (var blob = await blobs.GetAsync(old.BlobKey, ct) ?? throw new IOException($"The blob of version {version} is missing."))
        {
            var file = await spool.WriteAsync(blob.Stream, long.MaxValue, ct);
            try
            {
                await using var stream = File.OpenRead(file.Path);
                await blobs.PutAsync(blobKey, stream, document.Mime, ct);
            }
            finally
            {
                spool.Delete(file.Name);
            }
        }

        // A restored file is new content for the editor too: it gets a new key.
        var committed = await store.CommitVersionAsync(tenant, id, blobKey, old.Size, old.Md5, old.Sha256, $"restore-v{version}", actor, rotateKey: true, endSession: false, jobId: null, ct);
        await status.PublishAsync(tenant, id, SaveStates.Saved, committed);
        return committed;
    }

    /// <summary>Asks Document Server to force-save the open session and waits (bounded) for the status-6 version to commit.</summary>
    public async Task<ForceSaveResult> ForceSaveAsync(string tenant, string id, CancellationToken ct)
    {
        var document = await store.FindAsync(tenant, id, ct) ?? throw new InvalidOperationException("no such document");
        if (onlyOffice.CurrentValue.DocumentServer is null)
        {
            return new ForceSaveResult(ForceSaveOutcome.NotConfigured, document.CurrentVersion, "OnlyOffice:DocumentServerUrl is not configured.");
        }

        await status.PublishAsync(tenant, id, SaveStates.ForceSaveRequested, document.CurrentVersion);
        var lastCallback = await db.DocumentCallbacks.Where(c => c.TenantId == tenant && c.DocumentId == id).MaxAsync(c => (long?)c.Id, ct) ?? 0;
        int error;
        try
        {
            error = await documentServer.ForceSaveAsync(document.DocKey, ct);
        }
        catch (HttpRequestException e)
        {
            return new ForceSaveResult(ForceSaveOutcome.Failed, document.CurrentVersion, $"Document Server could not be reached: {e.Message}");
        }

        DocumentsLog.ForceSave(log, tenant, id, error);
        if (error == 4)
        {
            return new ForceSaveResult(ForceSaveOutcome.NothingToSave, document.CurrentVersion);
        }

        if (error == 1)
        {
            // "Document key missing or not found": Document Server has no open session for the current key.
            return new ForceSaveResult(ForceSaveOutcome.NothingToSave, document.CurrentVersion, "No editing session is open.");
        }

        if (error != 0)
        {
            return new ForceSaveResult(ForceSaveOutcome.Failed, document.CurrentVersion, $"Document Server answered error {error}.");
        }

        // The status-6 callback may land on any node: the database says when its version is committed.
        var deadline = DateTime.UtcNow.AddSeconds(options.CurrentValue.ForceSaveWaitSeconds);
        while (DateTime.UtcNow < deadline)
        {
            var current = await db.Documents.AsNoTracking().Where(d => d.TenantId == tenant && d.Id == id).Select(d => d.CurrentVersion).FirstAsync(ct);
            if (current > document.CurrentVersion)
            {
                return new ForceSaveResult(ForceSaveOutcome.Committed, current);
            }

            if (await db.DocumentCallbacks.AnyAsync(c => c.TenantId == tenant && c.DocumentId == id && c.Id > lastCallback && c.CbStatus == 7, ct))
            {
                return new ForceSaveResult(ForceSaveOutcome.Failed, document.CurrentVersion, "Document Server reported a force-save error (status 7).");
            }

            await Task.Delay(25, ct);
        }

        return new ForceSaveResult(ForceSaveOutcome.TimedOut, document.CurrentVersion, "The force-saved version was not committed in time.");
    }

    /// <summary>True while a save was acknowledged to Document Server but is not committed yet.</summary>
    public Task<bool> HasPendingSavesAsync(string tenant, string id, CancellationToken ct) =>
        db.SaveJobs.AnyAsync(j => j.TenantId == tenant && j.DocumentId == id && j.State == "pending", ct);

    /// <summary>Waits (at most <see cref="DocumentsOptions.ForceSaveWaitSeconds"/>) until no save of the document is pending.</summary>
    public async Task WaitForPendingSavesAsync(string tenant, string id, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(options.CurrentValue.ForceSaveWaitSeconds);
        while (await HasPendingSavesAsync(tenant, id, ct) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(25, ct);
        }
    }

    public async Task<DiagnosticsDto?> DiagnosticsAsync(string tenant, string id, CancellationToken ct)
    {
        var document = await store.FindAsync(tenant, id, ct);
        if (document is null)
        {
            return null;
        }

        var versions = await store.VersionsAsync(tenant, id, ct);
        var current = versions.First(v => v.Version == document.CurrentVersion);
        StoredBlobDto committed;
        try
        {
            committed = await ReadBackAsync(current, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Diagnostics are wanted most when storage is down: report it instead of failing.
            committed = new StoredBlobDto(current.BlobKey, false, null, null, null, null, false, $"storage unreachable: {e.Message}");
        }

        var jobs = await db.SaveJobs.AsNoTracking().Where(j => j.TenantId == tenant && j.DocumentId == id && j.State != "committed").OrderBy(j => j.Id).ToListAsync(ct);
        var callbacks = await db.DocumentCallbacks.AsNoTracking().Where(c => c.TenantId == tenant && c.DocumentId == id).OrderByDescending(c => c.Id).Take(20).ToListAsync(ct);
        return new DiagnosticsDto(
            DocumentDto.From(document),
            committed,
            versions.Select(DocumentVersionDto.From).ToList(),
            jobs.Select(j => new SaveJobDto(j.Id, j.CbStatus, j.State, j.Attempts, j.LastError, j.Size, j.Sha256, j.CommittedVersion, j.CreatedAt, j.UpdatedAt, j.NodeId)).ToList(),
            callbacks.Select(c => new CallbackDto(c.CbStatus, c.DocKey, c.LastSave, c.Outcome, c.Detail, c.ReceivedAt)).ToList());
    }

    /// <summary>Reads the version's blob back in full: the hashes are of what the store serves now, not of what was uploaded.</summary>
    private async Task<StoredBlobDto> ReadBackAsync(DocumentVersionRow current, CancellationToken ct)
    {
        await using var blob = await blobs.GetAsync(current.BlobKey, ct);
        if (blob is null)
        {
            return new StoredBlobDto(current.BlobKey, false, null, null, null, null, false);
        }

        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = await blob.Stream.ReadAsync(buffer, ct)) > 0)
        {
            md5.AppendData(buffer, 0, read);
            sha.AppendData(buffer, 0, read);
            size += read;
        }

        var md5Hex = Convert.ToHexStringLower(md5.GetHashAndReset());
        var shaHex = Convert.ToHexStringLower(sha.GetHashAndReset());
        return new StoredBlobDto(current.BlobKey, true, size, md5Hex, shaHex, blob.Info.LastModified,
            size == current.Size && md5Hex == current.Md5 && shaHex == current.Sha256);
    }

    /// <summary>The ONLYOFFICE editor config for the committed version (signed when a secret is configured).</summary>
    public async Task<JsonObject> EditorConfigAsync(DocumentRow document, Uri publicBase, string? callbackPath, string userId, bool canEdit, CancellationToken ct)
    {
        var settings = onlyOffice.CurrentValue;
        var committed = await store.VersionAsync(document.TenantId, document.Id, document.CurrentVersion, ct)
            ?? throw new InvalidOperationException($"Document {document.TenantId}/{document.Id} has no version {document.CurrentVersion}.");
        var link = blobs.Presign(committed.BlobKey, TimeSpan.FromSeconds(options.CurrentValue.SignedLinkExpirySeconds));
        var url = link.IsAbsoluteUri ? link : new Uri(publicBase, link);
        var extension = Path.GetExtension(document.Filename).TrimStart('.').ToLowerInvariant();
        var config = new JsonObject
        {
            ["document"] = new JsonObject
            {
                ["fileType"] = extension,
                ["key"] = document.DocKey,
                ["title"] = document.Filename,
                ["url"] = url.ToString(),
                ["permissions"] = new JsonObject { ["edit"] = canEdit, ["download"] = true },
            },
            ["documentType"] = DocumentType(extension),
            ["editorConfig"] = new JsonObject
            {
                ["mode"] = canEdit ? "edit" : "view",
                ["user"] = new JsonObject { ["id"] = userId, ["name"] = userId },
                ["customization"] = new JsonObject { ["forcesave"] = true },
            },
        };
        if (callbackPath is not null)
        {
            config["editorConfig"]!["callbackUrl"] = new Uri(publicBase, callbackPath).ToString();
        }

        if (settings.JwtSecret.Length > 0)
        {
            config["token"] = OnlyOfficeJwt.Sign((JsonObject)config.DeepClone(), settings.JwtSecret);
        }

        return config;
    }

    private static string DocumentType(string extension) => extension switch
    {
        "xlsx" or "xls" or "ods" or "csv" => "cell",
        "pptx" or "ppt" or "odp" => "slide",
        "pdf" => "pdf",
        _ => "word",
    };
}
