using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.DocumentSync.Internal;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Hub.Sync;
using RealtimeSync.Hub.Sync.Internal;
using RealtimeSync.Hub.Tenants;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.DocumentSync;

/// <summary>Marks the endpoints whose responses are compressed (see <see cref="DocumentSyncSetup"/>).</summary>
public sealed class CompressResponse
{
    public static CompressResponse Instance { get; } = new();
}

/// <summary>
/// Document sync for offline clients: <c>GET documents/sync</c> (delta pages), <c>GET documents/{id}/download-url</c>
/// (presigned link to the committed version) and <c>POST documents/batch-download</c> (streamed zip).
/// </summary>
public static class DocumentSyncApi
{
    public static IEndpointRouteBuilder MapDocumentSyncApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapTenantGroup().MapGroup("/documents").WithTags("Document sync");
        group.MapGet("/sync", SyncAsync).WithName("SyncDocuments").WithMetadata(CompressResponse.Instance)
            .Produces<DocumentSyncPageDto>().Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/{id}/download-url", DownloadUrlAsync).WithName("DocumentDownloadUrl");
        group.MapPost("/batch-download", BatchDownloadAsync).WithName("BatchDownloadDocuments").AllowReaders()
            .Produces(StatusCodes.Status200OK, contentType: "application/zip").ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    /// <summary>
    /// One page of the tenant's document changes after <paramref name="cursor"/> (none: a full snapshot, in pages).
    /// <c>includeDeleted</c> defaults to true with a cursor and false without one (a snapshot needs no tombstones).
    /// </summary>
    public static async Task<IResult> SyncAsync(
        string tenant, string? cursor, string? limit, string? includeDeleted, HttpContext http, DocumentSyncReader reader, ILogger<DocumentSyncReader> log, CancellationToken ct)
    {
        // The sync routes' limits (Sync:RateLimits), per client and per tenant: an offline client's document pages count
        // against the same budget as its entity sync.
        var client = http.User.FindFirst(SyncApi.ClientIdClaim)?.Value ?? http.User.FindFirst(ClaimNames.Subject)?.Value ?? "anonymous";
        if (http.RequestServices.GetRequiredService<SyncRateLimits>().TryAcquire(tenant, client) is { } limited)
        {
            return SyncRateLimits.Refusal(http, limited);
        }

        if (!DocumentSyncCursor.TryDecode(cursor, out var after))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid cursor", "The cursor is not one this API issued; send the cursor of a previous page unchanged, or none for a full snapshot.", "cursor");
        }

        if (!DocumentSyncRules.TryParseLimit(limit, out var pageSize))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid limit", $"limit must be an integer from 1 to {DocumentSyncRules.MaxLimit}.", "limit");
        }

        var withDeleted = !string.IsNullOrEmpty(cursor);
        if (includeDeleted is not null && !bool.TryParse(includeDeleted, out withDeleted))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid includeDeleted", "includeDeleted must be true or false.", "includeDeleted");
        }

        var page = await reader.ReadAsync(tenant, after, pageSize, withDeleted, ct);
        http.Response.Headers.ETag = page.ETag;
        http.Response.Headers.CacheControl = "private, no-cache";
        if (DocumentSyncRules.Matches(http.Request.Headers.IfNoneMatch, page.ETag))
        {
            DocumentSyncMetrics.Pages.Add(1, new KeyValuePair<string, object?>("outcome", "not_modified"));
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if (page.Body.Reset)
        {
            DocumentSyncLog.CursorReset(log, tenant, after.Seq, page.PurgedThroughSeq);
            DocumentSyncMetrics.Pages.Add(1, new KeyValuePair<string, object?>("outcome", "reset"));
        }
        else
        {
            DocumentSyncMetrics.Pages.Add(1, new KeyValuePair<string, object?>("outcome", "page"));
            DocumentSyncMetrics.Rows.Add(page.Body.Added.Count, new KeyValuePair<string, object?>("kind", "added"));
            DocumentSyncMetrics.Rows.Add(page.Body.Modified.Count, new KeyValuePair<string, object?>("kind", "modified"));
            DocumentSyncMetrics.Rows.Add(page.Body.Deleted.Count, new KeyValuePair<string, object?>("kind", "deleted"));
        }

        return TypedResults.Ok(page.Body);
    }

    /// <summary>A presigned link to the committed version, with what a client needs to verify the bytes.</summary>
    public static async Task<Results<Ok<DownloadUrlDto>, ProblemHttpResult>> DownloadUrlAsync(
        string tenant, string id, string? expiresIn, HttpContext http, DocumentStore store, IBlobStore blobs, TimeProvider clock,
        IOptionsMonitor<DocumentSyncOptions> options, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var seconds = settings.DownloadUrlDefaultExpirySeconds;
        if (expiresIn is not null
            && (!int.TryParse(expiresIn, NumberStyles.None, CultureInfo.InvariantCulture, out seconds)
                || seconds < settings.DownloadUrlMinExpirySeconds || seconds > settings.DownloadUrlMaxExpirySeconds))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid expiresIn",
                $"expiresIn must be an integer from {settings.DownloadUrlMinExpirySeconds} to {settings.DownloadUrlMaxExpirySeconds} seconds.", "expiresIn");
        }

        if (await store.FindAsync(tenant, id, ct) is not { Deleted: false } row
            || await store.VersionAsync(tenant, id, row.CurrentVersion, ct) is not { } version)
        {
            return NotFound(id);
        }

        var link = blobs.Presign(version.BlobKey, TimeSpan.FromSeconds(seconds));
        var absolute = link.IsAbsoluteUri ? link : new Uri(new Uri($"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/"), link);
        DocumentSyncMetrics.DownloadUrls.Add(1);
        http.Response.Headers.CacheControl = "no-store"; // the link is a bearer secret until it expires
        return TypedResults.Ok(new DownloadUrlDto(absolute.ToString(), clock.GetUtcNow().AddSeconds(seconds), row.Filename, row.Mime,
            version.Version, version.Size, version.Md5, version.Sha256));
    }

    /// <summary>
    /// Streams a zip of the committed versions of <c>documentIds</c> (entries <c>{id}/{filename}</c>). Everything is
    /// checked before the first byte is sent: any id that is unknown, deleted or of another tenant answers 404 listing
    /// those ids (a client only learns about ids it sent), and the count and total size limits answer 400/413.
    /// </summary>
    public static async Task<IResult> BatchDownloadAsync(
        string tenant, HttpContext http, BatchDownload batch, IOptionsMonitor<DocumentSyncOptions> options, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var (ids, error) = await ReadIdsAsync(http.Request, settings.BatchDownloadMaxDocuments, ct);
        if (error is not null)
        {
            return error;
        }

        var plan = await batch.PlanAsync(tenant, ids!, ct);
        if (plan.Missing.Count > 0)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "Documents not found", $"{plan.Missing.Count} of the requested documents do not exist.",
                "documentIds", new Dictionary<string, object?> { ["missing"] = plan.Missing });
        }

        if (plan.TotalBytes > settings.BatchDownloadMaxBytes)
        {
            return ApiProblem.Of(StatusCodes.Status413PayloadTooLarge, "Batch too large",
                $"The documents total {plan.TotalBytes} bytes; the limit is {settings.BatchDownloadMaxBytes} bytes. Request fewer documents.", "documentIds");
        }

        return new ZipResult(batch, tenant, plan);
    }

    private static async Task<(List<string>? Ids, IResult? Error)> ReadIdsAsync(HttpRequest request, int max, CancellationToken ct)
    {
        const string entries = "must be an array of non-empty strings of at most 200 characters";
        var (body, bodyError) = await RequestBody.ReadAsync<BatchDownloadRequest>(request, ct, "an object with an array 'documentIds'",
            new BodyContract { ShapeField = "documentIds", Title = "Invalid documentIds", Rules = new Dictionary<string, string> { ["documentIds"] = entries } });
        if (bodyError is not null)
        {
            return (null, bodyError);
        }

        if (body!.DocumentIds is not { } array)
        {
            return (null, ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid documentIds", "The body must be an object with an array 'documentIds'.", "documentIds"));
        }

        var ids = new List<string>();
        foreach (var item in array)
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 and <= 200 } id)
            {
                return (null, ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid documentIds", "Every entry of documentIds must be a non-empty string of at most 200 characters.", "documentIds"));
            }

            if (!ids.Contains(id, StringComparer.Ordinal))
            {
                ids.Add(id);
            }
        }

        if (ids.Count == 0 || ids.Count > max)
        {
            return (null, ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid documentIds", $"documentIds must list 1 to {max} documents.", "documentIds"));
        }

        return (ids, null);
    }

    private static ProblemHttpResult NotFound(string id) => ApiProblem.Of(StatusCodes.Status404NotFound, "Not found", $"There is no document '{id}'.", "id");


    /// <summary>Writes the archive straight onto the response body.</summary>
    private sealed class ZipResult(BatchDownload batch, string tenant, BatchPlan plan) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => batch.WriteAsync(httpContext, tenant, plan);
    }
}

/// <param name="Url">Absolute GET link; valid until <paramref name="ExpiresAt"/>.</param>
public sealed record DownloadUrlDto(string Url, DateTimeOffset ExpiresAt, string Filename, string Mime, int Version, long Size, string Md5, string Sha256);

/// <summary>
/// The body of <c>POST documents/batch-download</c>: <c>{ "documentIds": ["…"] }</c>. Closed: any other member is refused.
/// The entries are checked one by one (not bound as strings) so that every bad entry is a problem naming <c>documentIds</c>.
/// </summary>
public sealed record BatchDownloadRequest(List<JsonElement>? DocumentIds = null);
