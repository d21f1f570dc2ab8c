using System.Text.Json;
using Microsoft.Extensions.Options;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Hub.Documents;

/// <summary>
/// The admin's Documents page over <see cref="DocumentService"/> and <see cref="DocumentStore"/>, the same code the
/// HTTP API runs. A circuit lives for hours, so every call takes its own scope (and DbContext).
/// </summary>
public sealed class DocumentAdmin(
    IServiceScopeFactory scopes,
    ChannelPublisher publisher,
    IOptionsMonitor<DocumentsOptions> documents,
    IOptionsMonitor<OnlyOfficeOptions> onlyOffice,
    DocumentServerProbe probe) : IDocumentAdmin
{
    /// <summary>Where Document Server serves the editor's script (the same path on every installation).</summary>
    public const string ApiScriptPath = "web-apps/apps/api/documents/api.js";

    public long MaxUploadBytes => documents.CurrentValue.MaxUploadBytes;

    public bool EditorAvailable => onlyOffice.CurrentValue.DocumentServer is not null;

    public async Task<AdminDocumentServerStatus?> DocumentServerStatusAsync(CancellationToken ct = default)
    {
        var status = probe.Last ?? await probe.CheckAsync(ct);
        return status is null ? null : new AdminDocumentServerStatus(status.Reachable, status.Version, status.Error, status.CheckedAt);
    }

    public async Task<IReadOnlyList<AdminDocument>> ListAsync(string tenant, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = await scope.ServiceProvider.GetRequiredService<DocumentStore>().ListAsync(tenant, includeDeleted: false, ct);
        return rows.Select(From).ToList();
    }

    public async Task<AdminDocument?> GetAsync(string tenant, string id, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DocumentStore>().FindAsync(tenant, id, ct) is { Deleted: false } row ? From(row) : null;
    }

    public async Task<AdminDocument> UploadAsync(string tenant, string filename, string mime, Stream content, string actor, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            var created = await scope.ServiceProvider.GetRequiredService<DocumentService>().UploadAsync(tenant, RealtimeSync.Shared.Documents.FileName.Clean(filename) ?? "document", mime, content, actor, ct);
            return new AdminDocument(created.Id, created.Filename, created.Mime, created.Version, created.Size, created.Md5, created.Sha256, created.Session, created.UpdatedAt, created.UpdatedBy);
        }
        catch (SpoolLimitExceededException e)
        {
            throw new DocumentTooLargeException(e.Limit);
        }
    }

    public async Task<int?> RestoreAsync(string tenant, string id, int version, string actor, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DocumentService>().RestoreAsync(tenant, id, version, actor, ct);
    }

    public async Task<AdminForceSaveResult> ForceSaveAsync(string tenant, string id, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        if (await scope.ServiceProvider.GetRequiredService<DocumentStore>().FindAsync(tenant, id, ct) is not { Deleted: false })
        {
            return new AdminForceSaveResult(ForceSaveOutcomes.Failed, 0, "The document no longer exists.");
        }

        var result = await scope.ServiceProvider.GetRequiredService<DocumentService>().ForceSaveAsync(tenant, id, ct);
        var outcome = result.Outcome switch
        {
            ForceSaveOutcome.Committed => ForceSaveOutcomes.Committed,
            ForceSaveOutcome.NothingToSave => ForceSaveOutcomes.NothingToSave,
            ForceSaveOutcome.TimedOut => ForceSaveOutcomes.TimedOut,
            ForceSaveOutcome.NotConfigured => ForceSaveOutcomes.NotConfigured,
            _ => ForceSaveOutcomes.Failed,
        };
        return new AdminForceSaveResult(outcome, result.Version, result.Detail);
    }

    public async Task<AdminDocumentDiagnostics?> DiagnosticsAsync(string tenant, string id, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var found = await scope.ServiceProvider.GetRequiredService<DocumentService>().DiagnosticsAsync(tenant, id, ct);
        if (found is null || found.Document.Deleted)
        {
            return null;
        }

        var d = found.Document;
        var c = found.Committed;
        return new AdminDocumentDiagnostics(
            new AdminDocument(d.Id, d.Filename, d.Mime, d.Version, d.Size, d.Md5, d.Sha256, d.Session, d.UpdatedAt, d.UpdatedBy),
            new AdminStoredBlob(c.BlobKey, c.Exists, c.Size, c.Md5, c.Sha256, c.LastModified, c.MatchesDatabase, c.Error),
            found.Versions.Select(v => new AdminDocumentVersion(v.Version, v.Size, v.Md5, v.Sha256, v.Source, v.CreatedAt, v.CreatedBy)).ToList(),
            found.PendingOrFailedJobs.Select(j => new AdminSaveJob(j.Id, j.CallbackStatus, j.State, j.Attempts, j.LastError, j.Size, j.CreatedAt, j.UpdatedAt)).ToList(),
            found.Callbacks.Select(k => new AdminCallback(k.Status, k.Key, k.LastSave, k.Outcome, k.Detail, k.ReceivedAt)).ToList());
    }

    public async Task<AdminEditorLaunch?> EditorAsync(string tenant, string id, string user, bool canEdit, Uri hubBase, CancellationToken ct = default)
    {
        var settings = onlyOffice.CurrentValue;
        if (settings.DocumentServer is not { } documentServer)
        {
            return null;
        }

        await using var scope = scopes.CreateAsyncScope();
        if (await scope.ServiceProvider.GetRequiredService<DocumentStore>().FindAsync(tenant, id, ct) is not { Deleted: false } row)
        {
            return null;
        }

        // Same callback link and public base as GET .../editor-config, so Document Server reaches the hub the same way.
        var signature = scope.ServiceProvider.GetRequiredService<CallbackHandler>().Signature(tenant, id);
        var callbackPath = $"onlyoffice/callback/{Uri.EscapeDataString(tenant)}/{Uri.EscapeDataString(id)}?sig={signature}";
        var publicBase = Uri.TryCreate(settings.CallbackBaseUrl, UriKind.Absolute, out _)
            ? new Uri(settings.CallbackBaseUrl.EndsWith('/') ? settings.CallbackBaseUrl : settings.CallbackBaseUrl + "/")
            : hubBase;
        var config = await scope.ServiceProvider.GetRequiredService<DocumentService>().EditorConfigAsync(row, publicBase, callbackPath, user, canEdit, ct);
        var baseUrl = documentServer.ToString().EndsWith('/') ? documentServer : new Uri(documentServer + "/");
        return new AdminEditorLaunch(new Uri(baseUrl, ApiScriptPath), config.ToJsonString());
    }

    public IDisposable WatchSaveStatus(string tenant, string id, Func<DocumentSaveStatus, Task> onStatus) =>
        publisher.Listen(SaveStatusPublisher.Channel(tenant, id), publication =>
            onStatus(publication.Data.Deserialize<DocumentSaveStatus>(JsonSerializerOptions.Web)!));

    private static AdminDocument From(DocumentRow d) =>
        new(d.Id, d.Filename, d.Mime, d.CurrentVersion, d.Size, d.Md5, d.Sha256, d.SessionState, d.UpdatedAt, d.UpdatedBy);
}
