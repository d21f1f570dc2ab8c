using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.SiteKeys;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// Sample settings and team for the demo tenant (only when it has no entities yet; <c>Demo:SeedContent</c>, default
/// true), and the anonymous subscriber token the /demo/ page uses (<c>Demo:Enabled</c>; unset, on in embedded mode and
/// off on a production-mode node, one with any of PostgreSQL, Redis, S3 configured).
/// </summary>
public static class DemoContent
{
    public static bool Enabled(IConfiguration configuration) =>
        configuration.GetValue<bool?>("Demo:Enabled") ?? HostMode.From(configuration).Name != "production";

    // Sample rows in the demo tenant expose nothing and several multi-node setups edit them; only the anonymous
    // token is a hole, so only it follows the production default.
    private static bool SeedContent(IConfiguration configuration) => configuration.GetValue<bool?>("Demo:SeedContent") ?? true;

    public static async Task SeedDemoContentAsync(this WebApplication app)
    {
        if (!SeedContent(app.Configuration))
        {
            return;
        }

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        if (await db.Entities.AnyAsync(e => e.TenantId == DatabaseSeeder.DemoTenant))
        {
            return;
        }

        var store = scope.ServiceProvider.GetRequiredService<EntityStore>();
        var who = new WriteContext("seed", "seed");
        await store.CreateAsync(DatabaseSeeder.DemoTenant, DefaultEntityTypes.Settings, EntityTypeSchema.SingletonId, Patch(new JsonObject
        {
            ["siteName"] = "Northwind Studio",
            ["tagline"] = "Design and engineering, delivered live",
            ["contactEmail"] = "hello@northwind.example",
            ["primaryColor"] = "#4340d2",
            ["maintenanceMode"] = false,
        }), who);
        var team = new[]
        {
            ("ada", "Ada Lovelace", "Head of Engineering", "2019-03-01", "E-001"),
            ("grace", "Grace Hopper", "Principal Engineer", "2020-06-15", "E-002"),
            ("alan", "Alan Turing", "Research Lead", "2021-09-20", "E-003"),
        };
        var order = 1;
        foreach (var (id, name, role, joined, employeeId) in team)
        {
            await store.CreateAsync(DatabaseSeeder.DemoTenant, DefaultEntityTypes.Team, id, Patch(new JsonObject
            {
                ["name"] = name,
                ["role"] = role,
                ["order"] = order++,
                ["active"] = true,
                ["joinDate"] = joined,
                ["employeeId"] = employeeId,
            }), who);
        }
    }

    /// <summary>
    /// <c>GET /demo/token</c>: anyone may call it, so it hands out exactly what a public site gets from its site key:
    /// a short-lived subscribe-scoped token for the demo tenant's public (entities) channels, never a role token
    /// that reads documents, editor configs or diagnostics.
    /// </summary>
    public static IEndpointRouteBuilder MapDemo(this IEndpointRouteBuilder app)
    {
        app.MapGet("/demo/token", (HttpContext http, IConfiguration configuration, SiteTokenIssuer issuer) =>
            {
                if (!Enabled(configuration))
                {
                    return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Demo disabled", detail: "Demo:Enabled is off on this node.");
                }

                var (token, expiresAt) = issuer.Issue(DatabaseSeeder.DemoTenant, SiteTokenIssuer.Subject("demo-page"), DemoTokenSeconds);
                http.Response.Headers.CacheControl = "no-store";
                return Results.Ok(new SiteTokenResponse(token, DatabaseSeeder.DemoTenant, expiresAt, SiteTokenIssuer.Channels(DatabaseSeeder.DemoTenant)));
            })
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private const int DemoTokenSeconds = 30 * 60;

    private static EntityPatch Patch(JsonObject fields) => new(fields.ToDictionary(f => f.Key, f => f.Value), null);
}
