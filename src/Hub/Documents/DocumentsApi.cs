using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Hub.Tenants;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Hub.Documents;

/// <summary>
/// <c>/api/tenants/{tenant}/documents</c>: upload, list, get, soft delete, versions, restore, editor config,
/// force-save, content (committed or latest), diagnostics; and the anonymous, signed ONLYOFFICE callback.
/// </summary>
public static class DocumentsApi
{
    public const string VersionHeader = "X-Document-Version";
    public const string UnsavedEditsHeader = "X-Document-Unsaved-Edits";
    public const string Sha256Header = "X-Document-Sha256";

    public static IEndpointRouteBuilder MapDocuments(this IEndpointRouteBuilder app)
    {
        var group = app.MapTenantGroup().MapGroup("/documents").WithTags("Documents");
        group.MapGet("/", ListAsync).WithName("ListDocuments");
        group.MapPost("/", UploadAsync).WithName("UploadDocument").WithMetadata(new BodySizeLimit(http => http.RequestServices.GetRequiredService<IOptionsMonitor<DocumentsOptions>>().CurrentValue.MaxUploadBytes + (64 * 1024)));
        group.MapGet("/{id}", GetAsync).WithName("GetDocument");
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteDocument");
        group.MapGet("/{id}/versions", VersionsAsync).WithName("DocumentVersions");
        group.MapPost("/{id}/versions/{version:int}/restore", RestoreAsync).WithName("RestoreDocumentVersion");
        group.MapGet("/{id}/editor-config", EditorConfigAsync).WithName("DocumentEditorConfig");
        group.MapPost("/{id}/forcesave", ForceSaveAsync).WithName("ForceSaveDocument");
        group.MapGet("/{id}/content", ContentAsync).WithName("DocumentContent");
        group.MapGet("/{id}/diagnostics", DiagnosticsAsync).WithName("DocumentDiagnostics");
        group.MapClientVersions();

        app.MapPost("/onlyoffice/callback/{tenant}/{documentId}", CallbackAsync).AllowAnonymous().WithTags("Documents").WithName("OnlyOfficeCallback");
        return app;
    }

    public static async Task<Ok<List<DocumentDto>>> ListAsync(string tenant, bool? includeDeleted, DocumentStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.ListAsync(tenant, includeDeleted ?? false, ct)).Select(DocumentDto.From).ToList());

    public static async Task<Results<Created<DocumentDto>, ProblemHttpResult>> UploadAsync(
        string tenant, HttpRequest request, DocumentService documents, RealtimeSyncDb db, IOptionsMonitor<DocumentsOptions> options, CancellationToken ct)
    {
        if (!request.HasFormContentType || !request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return ApiProblem.Of(StatusCodes.Status415UnsupportedMediaType, "Multipart expected", "Send the file as multipart/form-data in the field 'file'.", "body");
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }
                ? ApiProblem.Of(StatusCodes.Status413PayloadTooLarge, "File too large", $"The limit is {options.CurrentValue.MaxUploadBytes} bytes.", "file")
                : ApiProblem.Of(StatusCodes.Status400BadRequest, "Malformed multipart body", e.Message, "body");
        }

        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "File missing", "The multipart field 'file' must carry a non-empty file.", "file");
        }

        if (file.Length > options.CurrentValue.MaxUploadBytes)
        {
            return ApiProblem.Of(StatusCodes.Status413PayloadTooLarge, "File too large", $"The file is {file.Length} bytes; the limit is {options.CurrentValue.MaxUploadBytes} bytes.", "file");
        }

        if (FileName.Clean(form["filename"].FirstOrDefault() ?? file.FileName) is not { } filename)
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid file name", FileName.Rule, "filename");
        }

        if (!await db.Tenants.AnyAsync(t => t.Id == tenant, ct))
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "Unknown tenant", $"There is no tenant '{tenant}'.", "tenant");
        }

        var mime = string.IsNullOrWhiteSpace(file.ContentType) ? "application/octet-stream" : file.ContentType;
        await using var stream = file.OpenReadStream();
        var created = await documents.UploadAsync(tenant, filename, mime, stream, Actor(request.HttpContext.User), ct);
        return TypedResults.Created($"/api/tenants/{tenant}/documents/{created.Id}", created);
    }

    public static async Task<Results<Ok<DocumentDto>, ProblemHttpResult>> GetAsync(string tenant, string id, DocumentStore store, CancellationToken ct) =>
        await store.FindAsync(tenant, id, ct) is { Deleted: false } row ? TypedResults.Ok(DocumentDto.From(row)) : NotFound(id);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string tenant, string id, HttpContext http, DocumentStore store, CancellationToken ct)
    {
        return await store.DeleteAsync(tenant, id, Actor(http.User), ct) ? TypedResults.NoContent() : NotFound(id);
    }

    public static async Task<Results<Ok<List<DocumentVersionDto>>, ProblemHttpResult>> VersionsAsync(string tenant, string id, DocumentStore store, CancellationToken ct)
    {
        if (await store.FindAsync(tenant, id, ct) is not { Deleted: false })
        {
            return NotFound(id);
        }

        return TypedResults.Ok((await store.VersionsAsync(tenant, id, ct)).Select(DocumentVersionDto.From).ToList());
    }

    public static async Task<Results<Ok<DocumentDto>, ProblemHttpResult>> RestoreAsync(string tenant, string id, int version, HttpContext http, DocumentService documents, DocumentStore store, CancellationToken ct)
    {
        if (await store.FindAsync(tenant, id, ct) is not { Deleted: false })
        {
            return NotFound(id);
        }

        if (await documents.RestoreAsync(tenant, id, version, Actor(http.User), ct) is null)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "No such version", $"Document '{id}' has no version {version}.", "version");
        }

        return TypedResults.Ok(DocumentDto.From((await store.FindAsync(tenant, id, ct))!));
    }

    public static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> EditorConfigAsync(
        string tenant, string id, HttpContext http, DocumentStore store, DocumentService documents, CallbackHandler callbacks, IOptionsMonitor<OnlyOfficeOptions> onlyOffice, CancellationToken ct)
    {
        if (await store.FindAsync(tenant, id, ct) is not { Deleted: false } row)
        {
            return NotFound(id);
        }

        if (onlyOffice.CurrentValue.DocumentServer is null)
        {
            return ApiProblem.Of(StatusCodes.Status409Conflict, "No Document Server", "OnlyOffice:DocumentServerUrl is not configured, so documents cannot be opened in an editor.", "OnlyOffice:DocumentServerUrl");
        }

        if (onlyOffice.CurrentValue.JwtSecret.Length == 0)
        {
            // Without the shared secret every callback is refused (anyone holding a callback link could post a
            // "save" of their own file), so an editor opened now would lose its edits.
            return ApiProblem.Of(StatusCodes.Status409Conflict, "No Document Server secret", "OnlyOffice:JwtSecret is not configured: callbacks cannot be verified, so documents cannot be opened in an editor. Set it to Document Server's JWT secret.", "OnlyOffice:JwtSecret");
        }

        // Only a writer's session may save: a viewer's config carries no callback link at all.
        var canEdit = Roles.CanWrite(http.User);
        var callbackPath = canEdit ? $"onlyoffice/callback/{Uri.EscapeDataString(tenant)}/{Uri.EscapeDataString(id)}?sig={callbacks.Signature(tenant, id)}" : null;
        return TypedResults.Ok(await documents.EditorConfigAsync(row, PublicBase(http, onlyOffice.CurrentValue), callbackPath, Actor(http.User), canEdit, ct));
    }

    public static async Task<Results<Ok<ForceSaveResponse>, ProblemHttpResult>> ForceSaveAsync(string tenant, string id, HttpContext http, DocumentStore store, DocumentService documents, CancellationToken ct)
    {
        if (await store.FindAsync(tenant, id, ct) is not { Deleted: false })
        {
            return NotFound(id);
        }

        var result = await documents.ForceSaveAsync(tenant, id, ct);
        return result.Outcome switch
        {
            ForceSaveOutcome.Committed => TypedResults.Ok(new ForceSaveResponse(ForceSaveOutcomes.Committed, result.Version)),
            ForceSaveOutcome.NothingToSave => TypedResults.Ok(new ForceSaveResponse(ForceSaveOutcomes.NothingToSave, result.Version)),
            ForceSaveOutcome.NotConfigured => ApiProblem.Of(StatusCodes.Status409Conflict, "No Document Server", result.Detail!, "OnlyOffice:DocumentServerUrl"),
            ForceSaveOutcome.TimedOut => ApiProblem.Of(StatusCodes.Status504GatewayTimeout, "Force-save not committed in time", result.Detail!, "id"),
            _ => ApiProblem.Of(StatusCodes.Status502BadGateway, "Force-save failed", result.Detail!, "id"),
        };
    }

    /// <summary>
    /// The committed version (or <paramref name="version"/>). <c>latest=true</c> force-saves first when an editing
    /// session is open; <c>redirect=true</c> answers with a presigned link instead of the bytes (large files).
    /// Headers say which version was served and whether unsaved edits may exist.
    /// </summary>
    public static async Task<IResult> ContentAsync(
        string tenant, string id, string? latest, int? version, string? redirect, int? expiresIn, HttpContext http,
        DocumentStore store, DocumentService documents, IBlobStore blobs, IOptionsMonitor<DocumentsOptions> options, CancellationToken ct)
    {
        if (!TryFlag(latest, out var wantLatest))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid parameter", "latest must be true or false.", "latest");
        }

        if (wantLatest && !Roles.CanWrite(http.User))
        {
            // latest=true makes Document Server save the open session: a new version, which is a write.
            return ApiProblem.Of(StatusCodes.Status403Forbidden, "Read-only role", "latest=true force-saves the open editing session; that needs the editor or admin role. Without it you get the committed version.", "latest");
        }

        if (!TryFlag(redirect, out var wantRedirect))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid parameter", "redirect must be true or false.", "redirect");
        }

        var max = options.CurrentValue.PresignMaxExpirySeconds;
        if (expiresIn is { } seconds && (seconds < 1 || seconds > max))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid parameter", $"expiresIn must be between 1 and {max} seconds.", "expiresIn");
        }

        if (await store.FindAsync(tenant, id, ct) is not { Deleted: false } row)
        {
            return NotFound(id);
        }

        var unsaved = row.SessionState == "editing";
        if (wantLatest && version is null && unsaved)
        {
            var forced = await documents.ForceSaveAsync(tenant, id, ct);
            unsaved = forced.Outcome is not (ForceSaveOutcome.Committed or ForceSaveOutcome.NothingToSave);
        }

        // A received save that is not committed yet (storage down) means the committed version is not the latest.
        if (wantLatest && version is null)
        {
            await documents.WaitForPendingSavesAsync(tenant, id, ct);
        }

        unsaved |= await documents.HasPendingSavesAsync(tenant, id, ct);
        row = (await store.FindAsync(tenant, id, ct))!;

        var served = await store.VersionAsync(tenant, id, version ?? row.CurrentVersion, ct);
        if (served is null)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "No such version", $"Document '{id}' has no version {version}.", "version");
        }

        http.Response.Headers[VersionHeader] = served.Version.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers[UnsavedEditsHeader] = (unsaved || served.Version != row.CurrentVersion) ? "true" : "false";
        http.Response.Headers[Sha256Header] = served.Sha256;
        if (wantRedirect)
        {
            var link = blobs.Presign(served.BlobKey, TimeSpan.FromSeconds(expiresIn ?? Math.Min(300, max)));
            return TypedResults.Redirect(link.ToString());
        }

        var blob = await blobs.GetAsync(served.BlobKey, ct);
        if (blob is null)
        {
            return ApiProblem.Of(StatusCodes.Status500InternalServerError, "Stored file missing", $"Version {served.Version} is not in the blob store; see diagnostics.", "id");
        }

        http.Response.ContentLength = served.Size;
        return StoredFiles.Attachment(http, blob.Stream, row.Mime, row.Filename, new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{served.Md5}\""));
    }

    public static async Task<Results<Ok<DiagnosticsDto>, ProblemHttpResult>> DiagnosticsAsync(string tenant, string id, DocumentService documents, CancellationToken ct) =>
        await documents.DiagnosticsAsync(tenant, id, ct) is { } diagnostics ? TypedResults.Ok(diagnostics) : NotFound(id);

    /// <summary>Document Server's callback: answers <c>{"error":0}</c> only once a save is durable; problems otherwise.</summary>
    public static async Task<IResult> CallbackAsync(string tenant, string documentId, string? sig, HttpRequest request, CallbackHandler handler, IOptionsMonitor<OnlyOfficeOptions> onlyOffice, CancellationToken ct)
    {
        if (!handler.VerifySignature(tenant, documentId, sig))
        {
            return ApiProblem.Of(StatusCodes.Status403Forbidden, "Invalid callback link", "The callback URL's signature does not match.", "sig");
        }

        // Any 4xx here ends Document Server's retries; a 500 would make it retry the same body forever.
        var (body, bodyError) = await RequestBody.ReadAsync<OnlyOfficeCallbackBody>(request, ct, "a Document Server callback (a JSON object)", CallbackHandler.CallbackContract);
        if (bodyError is not null)
        {
            return bodyError;
        }

        var header = request.Headers[onlyOffice.CurrentValue.JwtHeader].ToString();
        var headerToken = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        var answer = await handler.HandleAsync(tenant, documentId, body!, headerToken, ct);
        return answer.HttpStatus == StatusCodes.Status200OK
            ? TypedResults.Json(new JsonObject { ["error"] = 0 })
            : ApiProblem.Of(answer.HttpStatus, "Callback refused", answer.Detail!, answer.Field!);
    }

    private static Uri PublicBase(HttpContext http, OnlyOfficeOptions settings)
    {
        var configured = settings.CallbackBaseUrl;
        if (Uri.TryCreate(configured, UriKind.Absolute, out var uri))
        {
            return configured.EndsWith('/') ? uri : new Uri(configured + "/");
        }

        return new Uri($"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/");
    }

    private static bool TryFlag(string? value, out bool flag)
    {
        flag = false;
        return value is null || bool.TryParse(value, out flag);
    }

    private static string Actor(ClaimsPrincipal user) => user.FindFirst(ClaimNames.Subject)?.Value ?? "unknown";


    private static ProblemHttpResult NotFound(string id) => ApiProblem.Of(StatusCodes.Status404NotFound, "Not found", $"There is no document '{id}'.", "id");

}

/// <param name="Outcome">committed | nothing-to-save.</param>
/// <param name="Version">The current version after the force-save.</param>
public sealed record ForceSaveResponse(string Outcome, int Version);
