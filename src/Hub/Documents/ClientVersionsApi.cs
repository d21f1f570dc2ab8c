using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Hub.Documents;

/// <summary>A new version of a document from a client (<c>PUT …/content?baseVersion=</c>).</summary>
/// <param name="Id">The document.</param>
/// <param name="Version">Its new current version.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">Hex SHA-256 of the bytes the server stored.</param>
public sealed record ClientVersionResponse(string Id, int Version, long Size, string Sha256);

/// <summary><c>PATCH …/documents/{id}</c>: <c>{"filename": "…"}</c>, nothing else (a closed contract).</summary>
public sealed record RenameRequest(string? Filename);

/// <summary>
/// What an offline client needs beyond the editor's save pipeline: upload a new version of a document from the
/// version it started from (409 with the current version when someone saved meanwhile), and rename a document.
/// </summary>
public static class ClientVersionsApi
{
    public static RouteGroupBuilder MapClientVersions(this RouteGroupBuilder group)
    {
        group.MapPut("/{id}/content", PutContentAsync).WithName("PutDocumentContent")
            .WithMetadata(new BodySizeLimit(http => http.RequestServices.GetRequiredService<IOptionsMonitor<DocumentsOptions>>().CurrentValue.MaxUploadBytes));
        group.MapPatch("/{id}", RenameAsync).WithName("RenameDocument").Accepts<JsonObject>("application/json");
        return group;
    }

    public static async Task<Results<Ok<ClientVersionResponse>, ProblemHttpResult>> PutContentAsync(
        string tenant, string id, string? baseVersion, HttpRequest request, DocumentStore store, IBlobStore blobs, SaveSpool spool,
        SaveStatusPublisher status, IOptionsMonitor<DocumentsOptions> options, CancellationToken ct)
    {
        if (!int.TryParse(baseVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var from) || from < 1)
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Base version required", "baseVersion must be the version the new content started from (a whole number >= 1).", "baseVersion");
        }

        var document = await store.FindAsync(tenant, id, ct);
        if (document is null || document.Deleted)
        {
            return NotFound(id);
        }

        if (document.CurrentVersion != from)
        {
            return Stale(id, from, document.CurrentVersion);
        }

        SpooledFile file;
        try
        {
            file = await spool.WriteAsync(request.Body, options.CurrentValue.MaxUploadBytes, ct);
        }
        catch (SpoolLimitExceededException e)
        {
            return ApiProblem.Of(StatusCodes.Status413PayloadTooLarge, "File too large", $"The limit is {e.Limit} bytes.", "body");
        }

        try
        {
            if (file.Size == 0)
            {
                return ApiProblem.Of(StatusCodes.Status400BadRequest, "Empty content", "The body must carry the document's bytes.", "body");
            }

            var blobKey = $"documents/{tenant}/{id}/client-{Guid.NewGuid():N}";
            await using (var stream = File.OpenRead(file.Path))
            {
                await blobs.PutAsync(blobKey, stream, document.Mime, ct);
            }

            var actor = request.HttpContext.User.FindFirst(ClaimNames.Subject)?.Value ?? "api";
            switch (await store.CommitClientVersionAsync(tenant, id, from, blobKey, file, actor, ct))
            {
                case null:
                    return NotFound(id);
                case { Stale: true } current:
                    // The blob stays unreferenced, like the blob of a save that lost its race; it holds no one's state.
                    return Stale(id, from, current.Version);
                case { } committed:
                    await status.PublishAsync(tenant, id, SaveStates.Saved, committed.Version);
                    return TypedResults.Ok(new ClientVersionResponse(id, committed.Version, file.Size, file.Sha256));
            }
        }
        finally
        {
            spool.Delete(file.Name);
        }
    }

    public static async Task<Results<Ok<DocumentDto>, ProblemHttpResult>> RenameAsync(string tenant, string id, HttpRequest request, DocumentStore store, CancellationToken ct)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<RenameRequest>(request, ct, "{\"filename\": \"…\"}");
        if (bodyError is not null)
        {
            return bodyError;
        }

        var filename = body!.Filename;
        if (string.IsNullOrWhiteSpace(filename) || filename.Length > 255 || filename.Any(char.IsControl) || Path.GetFileName(filename) != filename)
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid file name", "filename must be 1-255 printable characters without a folder.", "filename");
        }

        var actor = request.HttpContext.User.FindFirst(ClaimNames.Subject)?.Value ?? "api";
        return await store.RenameAsync(tenant, id, filename, actor, ct) is { } renamed ? TypedResults.Ok(DocumentDto.From(renamed)) : NotFound(id);
    }

    private static ProblemHttpResult Stale(string id, int from, int current) =>
        ApiProblem.Of(StatusCodes.Status409Conflict, "Stale base version",
            $"Document '{id}' is at version {current}; the upload started from version {from}. Download version {current}, merge, and upload with baseVersion={current}.",
            "baseVersion", new Dictionary<string, object?> { ["currentVersion"] = current });

    private static ProblemHttpResult NotFound(string id) => ApiProblem.Of(StatusCodes.Status404NotFound, "Not found", $"There is no document '{id}'.", "id");
}
