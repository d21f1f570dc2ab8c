using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Hub.Sync.Internal;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.Sync;

/// <summary>
/// <c>/api/sync</c>: outbox upload, change download and conflict resolution for offline clients. The tenant is
/// the token's; a client acts only as itself (its <c>client_id</c> claim, or its subject). Every request, refused
/// or failed ones included, is written to <c>sync_log</c>.
/// </summary>
public static class SyncApi
{
    public const string ClientIdClaim = "client_id";

    public static IEndpointRouteBuilder MapSync(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sync").RequireAuthorization(AuthSetup.ApiPolicy).WithTags("Sync");
        group.MapPost("/up", UpAsync).WithName("SyncUp").Accepts<JsonObject>("application/json");
        group.MapPost("/down", DownAsync).WithName("SyncDown").Accepts<JsonObject>("application/json");
        group.MapPost("/conflicts/{eventId}/resolve", ResolveAsync).WithName("ResolveSyncConflict").Accepts<JsonObject>("application/json");
        group.MapSyncConflicts();
        return app;
    }

    public static async Task<Results<Ok<SyncUpResponse>, ProblemHttpResult, ValidationProblem>> UpAsync(
        HttpContext http, SyncService sync, IOptionsMonitor<SyncOptions> options, CancellationToken ct)
    {
        var (tenant, identity) = Identity(http.User);
        var audit = new SyncAudit("up", tenant ?? "", identity ?? "");
        return await AuditedAsync<Results<Ok<SyncUpResponse>, ProblemHttpResult, ValidationProblem>>(http, audit, async () =>
        {
            if (Refuse(http, audit, tenant, identity, write: true) is { } refused)
            {
                return refused;
            }

            var (body, bodyError) = await RequestBody.ReadAsync<SyncUpRequest>(http.Request, ct, "a sync/up request { \"clientId\", \"events\" }", Contract);
            if (bodyError is not null)
            {
                return Refused(audit, bodyError);
            }

            if (ClientId(body!.ClientId, identity!, audit) is { } clientRefused)
            {
                return clientRefused;
            }

            var max = options.CurrentValue.MaxBatchEvents;
            if (body.Events is not { } events)
            {
                return Invalid(audit, "events", "must be an array of outbox events");
            }

            audit.Events = events.Count;
            if (events.Count > max)
            {
                return Invalid(audit, "events", $"has {events.Count} events; send at most {max} per request");
            }

            var read = events.Select(SyncEventReader.Read).ToList();
            for (var i = 0; i < read.Count; i++)
            {
                // A batch that names another tenant is refused whole: nothing of it is applied or recorded.
                if (events[i] is JsonObject e && e["tenantId"] is JsonValue t && t.GetValueKind() == JsonValueKind.String && t.GetValue<string>() != tenant)
                {
                    audit.Status = "forbidden";
                    audit.Error = $"events[{i}].tenantId is another tenant";
                    return ApiProblem.Of(StatusCodes.Status403Forbidden, "Another tenant", $"Event {i} is for tenant '{t.GetValue<string>()}'; this token is for '{tenant}'. Nothing was applied.", $"events[{i}].tenantId");
                }
            }

            if (!await sync.TenantExistsAsync(tenant!, ct))
            {
                audit.Status = "invalid";
                return ApiProblem.Of(StatusCodes.Status404NotFound, "Unknown tenant", $"There is no tenant '{tenant}'.", "tenant");
            }

            var response = await sync.UploadAsync(tenant!, audit.ClientId, Subject(http.User), read, http.RequestServices.GetRequiredService<ClientLocks>(), ct);
            await sync.TouchClientAsync(tenant!, audit.ClientId, up: true, cursorSeq: null, ct);
            audit.Acknowledged = response.Acknowledged.Count;
            audit.Conflicts = response.Conflicts.Count;
            audit.Rejected = response.Rejected.Count;
            audit.Status = response.Conflicts.Count + response.Rejected.Count == 0 ? "ok" : "partial";
            return TypedResults.Ok(response);
        });
    }

    public static async Task<Results<Ok<SyncDownResponse>, ProblemHttpResult, ValidationProblem>> DownAsync(
        HttpContext http, SyncService sync, IOptionsMonitor<SyncOptions> options, EntityTypes types, CancellationToken ct)
    {
        var (tenant, identity) = Identity(http.User);
        var audit = new SyncAudit("down", tenant ?? "", identity ?? "");
        return await AuditedAsync<Results<Ok<SyncDownResponse>, ProblemHttpResult, ValidationProblem>>(http, audit, async () =>
        {
            if (Refuse(http, audit, tenant, identity, write: false) is { } refused)
            {
                return refused;
            }

            var (body, bodyError) = await RequestBody.ReadAsync<SyncDownRequest>(http.Request, ct,
                "a sync/down request { \"clientId\", \"cursor\"?, \"entityTypes\"?, \"limit\"? }", Contract);
            if (bodyError is not null)
            {
                return Refused(audit, bodyError);
            }

            if (ClientId(body!.ClientId, identity!, audit) is { } clientRefused)
            {
                return clientRefused;
            }

            if (!ChangeCursor.TryDecode(body.Cursor, out var after))
            {
                return Invalid(audit, "cursor", "is not a cursor returned by this API");
            }

            var settings = options.CurrentValue;
            var limit = body.Limit ?? settings.DefaultPageSize;
            if (limit < 1 || limit > settings.MaxPageSize)
            {
                return Invalid(audit, "limit", $"must be a whole number between 1 and {settings.MaxPageSize}");
            }

            List<string>? entityTypes = null;
            if (body.EntityTypes is { } list)
            {
                entityTypes = [];
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is not { } name || types.Current.Find(tenant!, name) is null)
                    {
                        return Invalid(audit, $"entityTypes[{i}]", $"is not an entity type of tenant '{tenant}'");
                    }

                    entityTypes.Add(name);
                }
            }

            if (after > await sync.LatestSeqAsync(tenant!, ct))
            {
                return Invalid(audit, "cursor", "is ahead of this tenant's change log; it was not issued for this tenant");
            }

            var page = await sync.DownloadAsync(tenant!, audit.ClientId, after, entityTypes, limit, ct);
            audit.Changes = page.Changes.Count;
            audit.Status = "ok";
            return TypedResults.Ok(page);
        });
    }

    public static async Task<Results<Ok<ConflictResolved>, ProblemHttpResult, ValidationProblem>> ResolveAsync(
        string eventId, HttpContext http, SyncService sync, CancellationToken ct)
    {
        var (tenant, identity) = Identity(http.User);
        var audit = new SyncAudit("resolve", tenant ?? "", identity ?? "");
        return await AuditedAsync<Results<Ok<ConflictResolved>, ProblemHttpResult, ValidationProblem>>(http, audit, async () =>
        {
            if (Refuse(http, audit, tenant, identity, write: true) is { } refused)
            {
                return refused;
            }

            var (body, bodyError) = await RequestBody.ReadAsync<ResolveConflictRequest>(http.Request, ct,
                "a resolution { \"resolution\", \"fields\"?, \"clientId\"? }", Contract);
            if (bodyError is not null)
            {
                return Refused(audit, bodyError);
            }

            // An admin token may resolve any client's conflict of its tenant; a client only its own.
            var clientId = identity!;
            if (body!.ClientId is { } requested)
            {
                if (!SyncEventReader.IsValidClientId(requested))
                {
                    return Invalid(audit, "clientId", ClientIdRule);
                }

                clientId = requested;
                if (clientId != identity && !http.User.IsInRole(Roles.Admin))
                {
                    audit.Status = "forbidden";
                    return ApiProblem.Of(StatusCodes.Status403Forbidden, "Another client", "Only an admin resolves another client's conflicts.", "clientId");
                }
            }

            audit.ClientId = clientId;
            var resolution = body.Resolution is { } named ? SyncNames.ParseResolution(named) : null;
            if (resolution is null)
            {
                return Invalid(audit, "resolution", ResolutionRule);
            }

            var fields = body.Fields;

            var outcome = await sync.ResolveAsync(tenant!, clientId, eventId, resolution.Value, fields, Subject(http.User), resolution == ConflictResolution.KeepLocal ? clientId : "api", ct);
            switch (outcome.Status)
            {
                case ResolveStatus.Resolved:
                    audit.Status = "ok";
                    audit.Acknowledged = 1;
                    return TypedResults.Ok(outcome.Result!);
                case ResolveStatus.NotFound:
                    audit.Status = "invalid";
                    return ApiProblem.Of(StatusCodes.Status404NotFound, "No such conflict", outcome.Detail!, "eventId");
                case ResolveStatus.AlreadyResolved:
                    audit.Status = "invalid";
                    return ApiProblem.Of(StatusCodes.Status409Conflict, "Already resolved", outcome.Detail!, "eventId");
                default:
                    audit.Status = "invalid";
                    audit.Error = outcome.Detail;
                    return TypedResults.ValidationProblem(outcome.Errors!.ToDictionary(e => e.Key, e => e.Value));
            }
        });
    }

    /// <summary>Runs a handler and writes its audit entry however it ends.</summary>
    private static async Task<T> AuditedAsync<T>(HttpContext http, SyncAudit audit, Func<Task<T>> handler)
    {
        var services = http.RequestServices;
        var log = services.GetRequiredService<ILogger<SyncService>>();
        // One span per batch: sync/up's entity writes (merge, commit, publication) are its children.
        using var span = services.GetRequiredService<Tracing>().Start("sync." + audit.Direction, http.User.FindFirst(ClaimNames.Tenant)?.Value, ActivityKind.Internal);
        span?.SetTag(ProductTelemetry.ClientIdTag, audit.ClientId);
        try
        {
            var result = await handler();
            span?.SetTag("rs.sync.status", audit.Status);
            return result;
        }
        catch (Exception e)
        {
            audit.Status = http.RequestAborted.IsCancellationRequested ? "aborted" : "failed";
            audit.Error = e.GetType().Name + ": " + e.Message;
            if (audit.Status == "failed")
            {
                // A client that went away is in the sync log as aborted; only real failures are errors.
                SyncLog.Failed(log, e, audit.Direction, audit.ClientId, http.User.FindFirst(ClaimNames.Tenant)?.Value ?? "");
            }

            throw;
        }
        finally
        {
            if (audit.Status == "ok" || audit.Status == "partial")
            {
                audit.Error = null;
            }

            await audit.WriteAsync(services.GetRequiredService<IServiceScopeFactory>(), services.GetRequiredService<TimeProvider>(), log);
        }
    }

    /// <summary>Token checks every sync request makes, then the rate limits.</summary>
    private static ProblemHttpResult? Refuse(HttpContext http, SyncAudit audit, string? tenant, string? identity, bool write)
    {
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(identity))
        {
            audit.Status = "forbidden";
            return ApiProblem.Of(StatusCodes.Status403Forbidden, "Not a sync token", "The token needs a tenant and a subject.", string.IsNullOrEmpty(tenant) ? "tenant" : "sub");
        }

        // The same rule as WritePolicy on the tenant group, checked here rather than by a filter because a refused
        // sync request is still written to sync_log (as forbidden), and the token checks above come first.
        if (write && !Roles.CanWrite(http.User))
        {
            audit.Status = "forbidden";
            return ApiProblem.ReadOnlyRole("Uploading and resolving need the editor or admin role.");
        }

        if (http.RequestServices.GetRequiredService<SyncRateLimits>().TryAcquire(tenant, identity) is { } limited)
        {
            audit.Status = "rate-limited";
            audit.Error = $"rate limit of the {limited.Scope}";
            SyncLog.RateLimited(http.RequestServices.GetRequiredService<ILogger<SyncService>>(), audit.Direction, identity, tenant, limited.Scope);
            return SyncRateLimits.Refusal(http, limited);
        }

        return null;
    }

    /// <summary>The body's clientId must be the token's own client.</summary>
    private static ProblemHttpResult? ClientId(string? clientId, string identity, SyncAudit audit)
    {
        if (!SyncEventReader.IsValidClientId(clientId))
        {
            audit.Status = "invalid";
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid clientId", $"clientId {ClientIdRule}.", "clientId");
        }

        if (clientId != identity)
        {
            audit.Status = "forbidden";
            return ApiProblem.Of(StatusCodes.Status403Forbidden, "Another client", $"This token is for client '{identity}'.", "clientId");
        }

        audit.ClientId = identity;
        return null;
    }

    private static (string? Tenant, string? Identity) Identity(ClaimsPrincipal user) =>
        (user.FindFirst(ClaimNames.Tenant)?.Value, user.FindFirst(ClientIdClaim)?.Value ?? user.FindFirst(ClaimNames.Subject)?.Value);

    private static string Subject(ClaimsPrincipal user) => user.FindFirst(ClaimNames.Subject)?.Value ?? "unknown";

    private const string ClientIdRule = "must be 1-100 characters of letters, digits, '.', '_' or '-'";
    private const string ResolutionRule = "must be accept-server, keep-local or merge";

    /// <summary>How the sync request records are read; the rules are what a member of the wrong type is told.</summary>
    private static readonly BodyContract Contract = new()
    {
        Title = "Invalid sync request",
        Rules = new Dictionary<string, string>
        {
            ["clientId"] = ClientIdRule,
            ["events"] = "must be an array of outbox events",
            ["cursor"] = "must be a cursor string returned by sync/down, or null",
            ["limit"] = "must be a whole number",
            ["entityTypes"] = "must be an array of entity type names",
            ["resolution"] = ResolutionRule,
            ["fields"] = "must be a JSON object of field values",
        },
    };

    /// <summary>A body the request record refused (unreadable, unknown member, wrong type), in the sync log as invalid.</summary>
    private static ProblemHttpResult Refused(SyncAudit audit, ProblemHttpResult problem)
    {
        audit.Status = "invalid";
        audit.Error = problem.ProblemDetails.Detail;
        return problem;
    }

    private static ProblemHttpResult Invalid(SyncAudit audit, string field, string message)
    {
        audit.Status = "invalid";
        audit.Error = $"{field} {message}";
        return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid sync request", $"{field} {message}.", field,
            new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });
    }
}
