using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Shared.Tenancy;

namespace RealtimeSync.Hub.Tenants;

public static class TenantsApi
{
    /// <summary>
    /// The /api/tenants/{tenant} group: bearer token required (401), token tenant must match (403), and every
    /// endpoint that changes something needs the editor or admin role (403 naming <c>role</c>, <see cref="WritePolicy"/>).
    /// Later features hang their routes off <see cref="MapTenantGroup"/>.
    /// </summary>
    public static RouteGroupBuilder MapTenantGroup(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/tenants/{tenant}")
            .RequireAuthorization(AuthSetup.ApiPolicy)
            .AddEndpointFilter<TenantAccessFilter>()
            .RequireWriterForChanges()
            .WithTags("Tenants");

    public static IEndpointRouteBuilder MapTenants(this IEndpointRouteBuilder app)
    {
        app.MapTenantGroup().MapGet("/", GetTenantAsync).WithName("GetTenant");
        return app;
    }

    public static async Task<Results<Ok<TenantDto>, ProblemHttpResult>> GetTenantAsync(string tenant, RealtimeSyncDb db, EntityTypes types, CancellationToken ct)
    {
        var row = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenant, ct);
        if (row is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown tenant", detail: $"There is no tenant '{tenant}'.");
        }

        return TypedResults.Ok(new TenantDto(row.Id, row.Name, types.Current.For(tenant).Select(t => t.Name).ToList()));
    }
}
