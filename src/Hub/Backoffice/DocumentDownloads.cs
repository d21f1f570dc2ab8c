using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Hub.Backoffice;

/// <summary>
/// <c>GET /backoffice/documents/{id}/versions/{version}/content</c>: a version's bytes for the signed-in backoffice
/// user (the admin cookie; the /api routes accept bearer tokens only). The tenant is the cookie's, never the URL's.
/// </summary>
public static class DocumentDownloads
{
    public static IEndpointRouteBuilder MapDocumentDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/backoffice/documents/{id}/versions/{version}/content", DownloadAsync).RequireAuthorization().ExcludeFromDescription();
        app.MapGet("/backoffice/documents/{id}/content", LatestAsync).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    public static async Task<IResult> DownloadAsync(
        string id, string version, HttpContext http, DocumentStore store, IBlobStore blobs, CancellationToken ct)
    {
        var tenant = http.User.FindFirst(ClaimNames.Tenant)?.Value ?? "";
        if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid version", "version must be a positive whole number.", "version");
        }

        if (await store.FindAsync(tenant, id, ct) is not { Deleted: false } document)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "Not found", $"There is no document '{id}'.", "id");
        }

        if (await store.VersionAsync(tenant, id, number, ct) is not { } row)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "No such version", $"Document '{id}' has no version {number}.", "version");
        }

        var blob = await blobs.GetAsync(row.BlobKey, ct);
        if (blob is null)
        {
            return ApiProblem.Of(StatusCodes.Status500InternalServerError, "Stored file missing", $"Version {number} is not in the blob store; see diagnostics.", "version");
        }

        http.Response.Headers[DocumentsApi.VersionHeader] = number.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers[DocumentsApi.Sha256Header] = row.Sha256;
        http.Response.ContentLength = row.Size;
        var name = $"{Path.GetFileNameWithoutExtension(document.Filename)}.v{number}{Path.GetExtension(document.Filename)}";
        return StoredFiles.Attachment(http, blob.Stream, document.Mime, name);
    }

    /// <summary>
    /// <c>GET /backoffice/documents/{id}/content?latest=true</c>: the current content for the signed-in backoffice user,
    /// with the API's rules (DocumentsApi.ContentAsync): while an editing session is open, a force-save first, so the
    /// download is never older than what the editors see.
    /// </summary>
    public static Task<IResult> LatestAsync(
        string id, string? latest, HttpContext http, DocumentStore store, DocumentService documents, IBlobStore blobs,
        IOptionsMonitor<DocumentsOptions> options, CancellationToken ct) =>
        DocumentsApi.ContentAsync(http.User.FindFirst(ClaimNames.Tenant)?.Value ?? "", id, latest, null, null, null, http, store, documents, blobs, options, ct);
}
