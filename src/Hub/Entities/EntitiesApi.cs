using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Tenants;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.Entities;

/// <summary><c>/api/tenants/{tenant}/entities/{type}</c>: list, get, create, merge-patch, soft delete, changes.</summary>
public static partial class EntitiesApi
{
    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 100;

    public static IEndpointRouteBuilder MapEntities(this IEndpointRouteBuilder app)
    {
        var group = app.MapTenantGroup().MapGroup("/entities/{type}").WithTags("Entities");
        group.MapGet("/", ListAsync).WithName("ListEntities");
        group.MapGet("/changes", ChangesAsync).WithName("EntityChanges");
        group.MapGet("/{id}", GetAsync).WithName("GetEntity");
        group.MapPost("/", CreateAsync).WithName("CreateEntity").Accepts<JsonObject>("application/json");
        group.MapPatch("/{id}", PatchAsync).WithName("PatchEntity").Accepts<JsonObject>("application/json");
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteEntity");
        return app;
    }

    public static async Task<Results<Ok<EntityPage>, ProblemHttpResult, ValidationProblem>> ListAsync(
        string tenant, string type, string? after, int? limit, string? field, string? equals, bool? includeDeleted,
        EntityTypes types, EntityStore store, CancellationToken ct)
    {
        if (types.Current.Find(tenant, type) is null)
        {
            return UnknownType(type);
        }

        if (limit is < 1 or > MaxPageSize)
        {
            return Invalid("limit", $"must be between 1 and {MaxPageSize}");
        }

        if (field is not null && equals is null)
        {
            return Invalid("equals", "is required with field");
        }

        return TypedResults.Ok(await store.ListAsync(tenant, type, after, limit ?? DefaultPageSize, field, equals, includeDeleted ?? false, ct));
    }

    public static async Task<Results<Ok<EntityDto>, ProblemHttpResult>> GetAsync(
        string tenant, string type, string id, EntityTypes types, EntityStore store, HttpResponse response, CancellationToken ct)
    {
        if (types.Current.Find(tenant, type) is null)
        {
            return UnknownType(type);
        }

        var entity = await store.GetAsync(tenant, type, id, ct);
        if (entity is null || entity.Deleted)
        {
            return NotFound(type, id);
        }

        response.Headers.ETag = ETag(entity.Version);
        return TypedResults.Ok(entity);
    }

    public static async Task<Results<Ok<ChangePage>, ProblemHttpResult, ValidationProblem>> ChangesAsync(
        string tenant, string type, string? cursor, int? limit, EntityTypes types, EntityStore store, CancellationToken ct)
    {
        if (types.Current.Find(tenant, type) is null)
        {
            return UnknownType(type);
        }

        if (!ChangeCursor.TryDecode(cursor, out var after))
        {
            return Invalid("cursor", "is not a cursor returned by this API");
        }

        if (limit is < 1 or > MaxPageSize)
        {
            return Invalid("limit", $"must be between 1 and {MaxPageSize}");
        }

        var (changes, more) = await store.ChangesAsync(tenant, after, limit ?? DefaultPageSize, type, ct);
        return TypedResults.Ok(new ChangePage(changes, ChangeCursor.Encode(changes.Count > 0 ? changes[^1].Seq : after), more));
    }

    public static async Task<Results<Created<EntityWriteResponse>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        string tenant, string type, HttpContext http, EntityTypes types, EntityStore store, RealtimeSyncDb db, CancellationToken ct)
    {
        var (schema, body, refused) = await PrepareWriteAsync(tenant, type, http, types, ct);
        if (refused is not null)
        {
            return refused;
        }

        var (patch, errors) = ParsePatch(body!, http.Request, creating: true);
        string id;
        if (schema!.Singleton)
        {
            id = EntityTypeSchema.SingletonId;
            if (body!.Id is { } given && given != id)
            {
                errors["id"] = [$"{type} has one entity per tenant; its id is '{id}'"];
            }
        }
        else if (body!.Id is null)
        {
            id = Guid.NewGuid().ToString("N");
        }
        else if (!EntityId.IsValid(body.Id))
        {
            errors["id"] = [EntityId.Rule];
            id = "";
        }
        else
        {
            id = body.Id;
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!await db.Tenants.AnyAsync(t => t.Id == tenant, ct))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown tenant", detail: $"There is no tenant '{tenant}'.");
        }

        var outcome = await store.CreateAsync(tenant, schema, id, patch!, Who(http.User), ct);
        switch (outcome.Status)
        {
            case WriteStatus.Created:
                http.Response.Headers.ETag = ETag(outcome.Entity!.Version);
                return TypedResults.Created($"/api/tenants/{tenant}/entities/{type}/{id}", Response("created", outcome));
            case WriteStatus.AlreadyExists:
                return ApiProblem.Of(StatusCodes.Status409Conflict, "Entity exists", $"{type} '{id}' already exists; PATCH it with its version.", "id",
                    new Dictionary<string, object?> { ["server"] = outcome.Entity });
            default:
                return TypedResults.ValidationProblem(ToDictionary(outcome.Errors));
        }
    }

    public static async Task<Results<Ok<EntityWriteResponse>, ProblemHttpResult, ValidationProblem>> PatchAsync(
        string tenant, string type, string id, HttpContext http, EntityTypes types, EntityStore store, CancellationToken ct)
    {
        var (schema, body, refused) = await PrepareWriteAsync(tenant, type, http, types, ct);
        if (refused is not null)
        {
            return refused;
        }

        var (patch, errors) = ParsePatch(body!, http.Request, creating: false);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var outcome = await store.UpdateAsync(tenant, schema!, id, patch!, Who(http.User), ct);
        switch (outcome.Status)
        {
            case WriteStatus.Applied:
            case WriteStatus.NoChange:
                http.Response.Headers.ETag = ETag(outcome.Entity!.Version);
                return TypedResults.Ok(Response(outcome.Status == WriteStatus.Applied ? "applied" : "no-change", outcome));
            case WriteStatus.NotFound:
                return NotFound(type, id);
            case WriteStatus.Conflict:
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "Edit conflict",
                    detail: $"Since version {patch!.BaseVersion}, someone else changed: {string.Join(", ", outcome.Merge!.Conflicts.Select(c => c.Field))}.",
                    extensions: new Dictionary<string, object?>
                    {
                        ["conflicts"] = outcome.Merge.Conflicts,
                        ["server"] = outcome.Entity,
                    });
            default:
                return TypedResults.ValidationProblem(ToDictionary(outcome.Errors));
        }
    }

    public static async Task<Results<Ok<EntityWriteResponse>, ProblemHttpResult, ValidationProblem>> DeleteAsync(
        string tenant, string type, string id, HttpContext http, EntityTypes types, EntityStore store, CancellationToken ct)
    {
        if (types.Current.Find(tenant, type) is null)
        {
            return UnknownType(type);
        }

        // The body is optional (If-Match is the usual precondition); when there is one it is the closed record, so
        // a misspelt precondition is refused rather than ignored, which would make the delete unconditional.
        var (body, bodyError) = await RequestBody.ReadAsync<EntityDeleteRequest>(http.Request, ct, "{ \"baseVersion\"?: n }, or no body", Contract with { Optional = true });
        if (bodyError is not null)
        {
            return bodyError;
        }

        var (baseVersion, errors) = BaseVersion(body?.BaseVersion, http.Request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var outcome = await store.DeleteAsync(tenant, type, id, baseVersion, Who(http.User), ct);
        return outcome.Status switch
        {
            WriteStatus.Deleted => TypedResults.Ok(Response("deleted", outcome)),
            WriteStatus.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "Entity changed",
                detail: $"{type} '{id}' is at version {outcome.Entity!.Version}, not {baseVersion}.", extensions: new Dictionary<string, object?> { ["server"] = outcome.Entity }),
            _ => NotFound(type, id),
        };
    }

    /// <summary>
    /// How entity bodies are read: closed records (an unknown member is refused, naming it), except that the members
    /// of <c>fields</c> are the entity type's and are checked against its schema, not here.
    /// </summary>
    private static readonly BodyContract Contract = new()
    {
        Rules = new Dictionary<string, string>
        {
            ["fields"] = "must be a JSON object of field values",
            ["baseVersion"] = "must be a whole number >= 0",
            ["id"] = EntityId.Rule,
        },
    };

    /// <summary>What every write checks first (after the group's write policy), in this order: entity type, request record.</summary>
    private static async Task<(EntityTypeSchema? Schema, EntityWriteRequest? Body, ProblemHttpResult? Refused)> PrepareWriteAsync(
        string tenant, string type, HttpContext http, EntityTypes types, CancellationToken ct)
    {
        if (types.Current.Find(tenant, type) is not { } schema)
        {
            return (null, null, UnknownType(type));
        }

        var (body, bodyError) = await RequestBody.ReadAsync<EntityWriteRequest>(http.Request, ct,
            "{ \"fields\": { … }, \"baseVersion\"?: n, \"id\"?: \"…\" }", Contract);
        return (schema, body, bodyError);
    }

    /// <summary>
    /// <c>{ "fields": { ... }, "baseVersion": n }</c>; the base version may instead come from If-Match
    /// (both given and different is an error).
    /// </summary>
    private static (EntityPatch? Patch, Dictionary<string, string[]> Errors) ParsePatch(EntityWriteRequest body, HttpRequest request, bool creating)
    {
        var fields = new Dictionary<string, JsonNode?>();
        if (body.Fields is { } given)
        {
            foreach (var (name, value) in given)
            {
                fields[name] = value?.GetValueKind() == JsonValueKind.Null ? null : value;
            }
        }

        var (baseVersion, errors) = creating ? BaseVersion(body.BaseVersion, null) : BaseVersion(body.BaseVersion, request);
        if (body.Fields is null)
        {
            errors["fields"] = ["must be a JSON object of field values"];
        }

        return (errors.Count == 0 ? new EntityPatch(fields, baseVersion) : null, errors);
    }

    /// <summary>The base version of a write: the body's, or If-Match's (both given and different is an error).</summary>
    private static (long? BaseVersion, Dictionary<string, string[]> Errors) BaseVersion(long? fromBody, HttpRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        var baseVersion = fromBody;
        if (baseVersion is < 0)
        {
            errors["baseVersion"] = ["must be a whole number >= 0"];
            baseVersion = null;
        }

        if (request is not null && request.Headers.IfMatch.Count > 0)
        {
            if (ParseETag(request.Headers.IfMatch.ToString()) is not { } fromHeader)
            {
                errors["If-Match"] = ["must be an entity ETag such as \"3\""];
            }
            else if (baseVersion is not null && baseVersion != fromHeader)
            {
                errors["baseVersion"] = ["differs from If-Match"];
            }
            else
            {
                baseVersion = fromHeader;
            }
        }

        return (baseVersion, errors);
    }

    private static long? ParseETag(string value)
    {
        var text = value.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        return text.Length > 2 && text[0] == '"' && text[^1] == '"' && long.TryParse(text[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    private static EntityWriteResponse Response(string status, WriteOutcome outcome) => new(
        status,
        outcome.Entity!,
        outcome.Merge?.Changed ?? [],
        outcome.Merge?.Merged ?? [],
        outcome.Merge?.Preserved ?? [],
        outcome.Merge?.Conflicts ?? [],
        outcome.Seq);

    private static WriteContext Who(ClaimsPrincipal user) => new(user.FindFirst(ClaimNames.Subject)?.Value ?? "unknown", "api");


    private static ProblemHttpResult UnknownType(string type) =>
        ApiProblem.Of(StatusCodes.Status404NotFound, "Unknown entity type", $"'{type}' is not an entity type of this tenant.", "type");

    private static ProblemHttpResult NotFound(string type, string id) => ApiProblem.Of(StatusCodes.Status404NotFound, "Not found", $"There is no {type} '{id}'.", "id");

    private static ValidationProblem Invalid(string field, string message) => TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    private static Dictionary<string, string[]> ToDictionary(IReadOnlyList<FieldError> errors) =>
        errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());
}

/// <summary>
/// The body of an entity create or merge-patch: <c>{ "fields": { … }, "baseVersion"?: n, "id"?: "…" }</c>. Closed: any
/// other member is refused. <paramref name="Fields"/> is free-form on purpose: its members are the entity type's, and
/// the schema refuses an unknown or invalid field by name. <paramref name="Id"/> names a new entity on create; on a
/// patch it is accepted and ignored (the URL names the entity), so a client may send back the shape it was given.
/// </summary>
public sealed record EntityWriteRequest(JsonObject? Fields = null, long? BaseVersion = null, string? Id = null);

/// <summary>The optional body of an entity delete: <c>{ "baseVersion"?: n }</c>, the same precondition as If-Match.</summary>
public sealed record EntityDeleteRequest(long? BaseVersion = null);
