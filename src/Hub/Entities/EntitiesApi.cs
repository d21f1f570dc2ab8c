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
            if (body!["id"] is { } given && given.ToString() != id)
            {
                errors["id"] = [$"{type} has one entity per tenant; its id is '{id}'"];
            }
        }
        else if (body!["id"] is null)
        {
            id = Guid.NewGuid().ToString("N");
        }
        else if (body["id"]!.GetValueKind() != JsonValueKind.String || !EntityId.IsValid(body["id"]!.GetValue<string>()))
        {
            errors["id"] = [EntityId.Rule];
            id = "";
        }
        else
        {
            id = body["id"]!.GetValue<string>();
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

        long? baseVersion = null;
        if (http.Request.Headers.IfMatch.Count > 0)
        {
            if (ParseETag(http.Request.Headers.IfMatch.ToString()) is not { } parsed)
            {
                return Invalid("If-Match", "must be an entity ETag such as \"3\"");
            }

            baseVersion = parsed;
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

    /// <summary>What every write checks first (after the group's write policy), in this order: entity type, JSON object body.</summary>
    private static async Task<(EntityTypeSchema? Schema, JsonObject? Body, ProblemHttpResult? Refused)> PrepareWriteAsync(
        string tenant, string type, HttpContext http, EntityTypes types, CancellationToken ct)
    {
        if (types.Current.Find(tenant, type) is not { } schema)
        {
            return (null, null, UnknownType(type));
        }

        var (body, bodyError) = await RequestBody.ReadObjectAsync(http.Request, ct);
        return (schema, body, bodyError);
    }

    /// <summary>
    /// <c>{ "fields": { ... }, "baseVersion": n }</c>; the base version may instead come from If-Match
    /// (both given and different is an error).
    /// </summary>
    private static (EntityPatch? Patch, Dictionary<string, string[]> Errors) ParsePatch(JsonObject body, HttpRequest request, bool creating)
    {
        var errors = new Dictionary<string, string[]>();
        var fields = new Dictionary<string, JsonNode?>();
        if (body["fields"] is JsonObject given)
        {
            foreach (var (name, value) in given)
            {
                fields[name] = value?.GetValueKind() == JsonValueKind.Null ? null : value;
            }
        }
        else
        {
            errors["fields"] = ["must be a JSON object of field values"];
        }

        foreach (var extra in body.Select(p => p.Key).Where(k => k is not ("fields" or "baseVersion" or "id")))
        {
            errors[extra] = ["is not a known property (send field values inside \"fields\")"];
        }

        long? baseVersion = null;
        if (body.TryGetPropertyValue("baseVersion", out var version) && version is not null)
        {
            if (version.GetValueKind() == JsonValueKind.Number && version.AsValue().TryGetValue<long>(out var v) && v >= 0)
            {
                baseVersion = v;
            }
            else
            {
                errors["baseVersion"] = ["must be a whole number >= 0"];
            }
        }

        if (!creating && request.Headers.IfMatch.Count > 0)
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

        return (errors.Count == 0 ? new EntityPatch(fields, baseVersion) : null, errors);
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
