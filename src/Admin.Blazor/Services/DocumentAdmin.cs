using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Admin.Services;

/// <summary>
/// The backoffice's Documents page over the host's document pipeline: the same store, save pipeline, force-save
/// and diagnostics the HTTP API uses, so what the page shows is what the API serves. Implemented by the host.
/// Every call is scoped to <c>tenant</c>: another tenant's ids are simply not found.
/// </summary>
public interface IDocumentAdmin
{
    /// <summary>The current upload limit (<c>Documents:MaxUploadBytes</c>, read at call time).</summary>
    long MaxUploadBytes { get; }

    /// <summary>True when <c>OnlyOffice:DocumentServerUrl</c> is configured, so documents can be opened in an editor.</summary>
    bool EditorAvailable { get; }

    /// <summary>
    /// Whether Document Server answers the Command Service <c>version</c> command (the last background probe, or one made
    /// now when there is none yet); null when no Document Server is configured.
    /// </summary>
    Task<AdminDocumentServerStatus?> DocumentServerStatusAsync(CancellationToken ct = default);

    /// <summary>The tenant's live documents.</summary>
    Task<IReadOnlyList<AdminDocument>> ListAsync(string tenant, CancellationToken ct = default);

    /// <summary>A live document, or null.</summary>
    Task<AdminDocument?> GetAsync(string tenant, string id, CancellationToken ct = default);

    /// <summary>Creates a document with version 1.</summary>
    /// <exception cref="DocumentTooLargeException">The file is larger than <see cref="MaxUploadBytes"/>.</exception>
    Task<AdminDocument> UploadAsync(string tenant, string filename, string mime, Stream content, string actor, CancellationToken ct = default);

    /// <summary>Copies <paramref name="version"/> into a new current version; the new version number, or null when there is no such document or version.</summary>
    Task<int?> RestoreAsync(string tenant, string id, int version, string actor, CancellationToken ct = default);

    /// <summary>Asks Document Server to force-save the open session and waits (bounded) for the result.</summary>
    Task<AdminForceSaveResult> ForceSaveAsync(string tenant, string id, CancellationToken ct = default);

    /// <summary>What the blob store holds now, the versions, unfinished jobs and the last callbacks; null when there is no such document.</summary>
    Task<AdminDocumentDiagnostics?> DiagnosticsAsync(string tenant, string id, CancellationToken ct = default);

    /// <summary>
    /// The ONLYOFFICE editor for the committed version: the Document Server's api.js address and the (signed) config
    /// as JSON. Null when there is no such document or no Document Server is configured.
    /// </summary>
    Task<AdminEditorLaunch?> EditorAsync(string tenant, string id, string user, bool canEdit, Uri hubBase, CancellationToken ct = default);

    /// <summary>Calls <paramref name="onStatus"/> for every <c>document.save-status</c> push of the document. Dispose to stop.</summary>
    IDisposable WatchSaveStatus(string tenant, string id, Func<DocumentSaveStatus, Task> onStatus);
}

/// <param name="Session">editing | closed | null (never opened in an editor).</param>
public sealed record AdminDocument(
    string Id, string Filename, string Mime, int Version, long Size, string Md5, string Sha256, string? Session,
    DateTimeOffset UpdatedAt, string UpdatedBy);

/// <param name="Source">upload | callback-2 | callback-6 | restore-vN …</param>
public sealed record AdminDocumentVersion(int Version, long Size, string Md5, string Sha256, string Source, DateTimeOffset CreatedAt, string CreatedBy);

/// <param name="Outcome">One of <see cref="RealtimeSync.Shared.Documents.ForceSaveOutcomes"/>, the names the API answers too.</param>
/// <param name="Version">The current version afterwards.</param>
public sealed record AdminForceSaveResult(string Outcome, int Version, string? Detail);

/// <summary>The committed version as read back from the blob store just now.</summary>
/// <param name="MatchesDatabase">Size and both hashes equal what the database committed.</param>
/// <param name="Error">Why the store could not be read (it is reported, not thrown: diagnostics matter most during outages).</param>
public sealed record AdminStoredBlob(string BlobKey, bool Exists, long? Size, string? Md5, string? Sha256, DateTimeOffset? LastModified, bool MatchesDatabase, string? Error);

/// <param name="State">pending | failed.</param>
public sealed record AdminSaveJob(long Id, int CallbackStatus, string State, int Attempts, string? LastError, long Size, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <param name="Outcome">spooled | duplicate | session | failed | rejected.</param>
public sealed record AdminCallback(int Status, string Key, string? LastSave, string Outcome, string? Detail, DateTimeOffset ReceivedAt);

public sealed record AdminDocumentDiagnostics(
    AdminDocument Document,
    AdminStoredBlob Committed,
    IReadOnlyList<AdminDocumentVersion> Versions,
    IReadOnlyList<AdminSaveJob> PendingOrFailedJobs,
    IReadOnlyList<AdminCallback> Callbacks);

/// <param name="ApiScript">Document Server's <c>web-apps/apps/api/documents/api.js</c>.</param>
/// <param name="ConfigJson">The editor config (<c>new DocsAPI.DocEditor(id, config)</c>), signed when a JWT secret is configured.</param>
/// <summary>What the last Document Server probe found.</summary>
public sealed record AdminDocumentServerStatus(bool Reachable, string? Version, string? Error, DateTimeOffset CheckedAt);

public sealed record AdminEditorLaunch(Uri ApiScript, string ConfigJson);

/// <summary>The file exceeds <c>Documents:MaxUploadBytes</c>.</summary>
public sealed class DocumentTooLargeException(long limit) : Exception($"The file is larger than the limit of {limit} bytes.")
{
    public long Limit { get; } = limit;
}
