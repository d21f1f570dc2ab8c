using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.Sync;

/// <summary>
/// <c>GET /api/sync/conflicts?clientId=</c>: a client's open conflicts, so an offline client that lost the
/// sync/up answer (or a fresh install with the same client id) can list what waits for a resolution. A client
/// reads its own; an admin token any client's of its tenant. A read: no sync_log entry, no rate limit.
/// </summary>
public static class SyncConflictsApi
{
    private const int MaxConflicts = 1000;

    public static RouteGroupBuilder MapSyncConflicts(this RouteGroupBuilder group)
    {
        group.MapGet("/conflicts", ListAsync).WithName("ListSyncConflicts");
        return group;
    }

    public static async Task<Results<Ok<SyncConflictList>, ProblemHttpResult>> ListAsync(
        string? clientId, HttpContext http, RealtimeSyncDb db, EntityStore store, CancellationToken ct)
    {
        var tenant = http.User.FindFirst(ClaimNames.Tenant)?.Value;
        var identity = http.User.FindFirst(SyncApi.ClientIdClaim)?.Value ?? http.User.FindFirst(ClaimNames.Subject)?.Value;
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(identity))
        {
            return ApiProblem.Of(StatusCodes.Status403Forbidden, "Not a sync token", "The token needs a tenant and a subject.", string.IsNullOrEmpty(tenant) ? "tenant" : "sub");
        }

        clientId ??= identity;
        if (!SyncEventReader.IsValidClientId(clientId))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid clientId", "clientId must be 1-100 characters of letters, digits, '.', '_' or '-'.", "clientId");
        }

        if (clientId != identity && !http.User.IsInRole(Roles.Admin))
        {
            return ApiProblem.Of(StatusCodes.Status403Forbidden, "Another client", $"This token is for client '{identity}'; only an admin reads another client's conflicts.", "clientId");
        }

        var rows = await db.SyncConflicts.AsNoTracking()
            .Where(c => c.TenantId == tenant && c.ClientId == clientId && c.Status == "pending")
            .Take(MaxConflicts).ToListAsync(ct);
        var list = new List<SyncOpenConflict>(rows.Count);
        // Sorted here: SQLite cannot order DateTimeOffset columns, and the list is bounded.
        foreach (var row in rows.OrderBy(r => r.CreatedAt).ThenBy(r => r.EventId, StringComparer.Ordinal))
        {
            // The server's side as it is now: the conflict is resolved against the current state, not the one at upload.
            var current = await store.GetAsync(tenant, row.EntityType, row.EntityId, ct);
            list.Add(new SyncOpenConflict(
                row.EventId, row.EntityType, row.EntityId, row.Operation, row.Reason,
                JsonNode.Parse(row.LocalPayload)!.AsObject(), row.BaseVersion, current,
                JsonSerializer.Deserialize<List<FieldConflict>>(row.Fields, JsonSerializerOptions.Web) ?? [],
                row.CreatedAt));
        }

        return TypedResults.Ok(new SyncConflictList(list));
    }
}
