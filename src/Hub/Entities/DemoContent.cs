using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// Sample settings and team for the demo tenant (only when it has no entities yet), and the read-only
/// token the /demo/ page uses. <c>Demo:Enabled</c> (default true) turns both off for production.
/// </summary>
public static class DemoContent
{
    public static bool Enabled(IConfiguration configuration) => configuration.GetValue<bool?>("Demo:Enabled") ?? true;

    public static async Task SeedDemoContentAsync(this WebApplication app)
    {
        if (!Enabled(app.Configuration))
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

    /// <summary><c>GET /demo/token</c>: a short-lived viewer token for the demo tenant (demo page only).</summary>
    public static IEndpointRouteBuilder MapDemo(this IEndpointRouteBuilder app)
    {
        app.MapGet("/demo/token", (IConfiguration configuration, TokenIssuer issuer) => Enabled(configuration)
                ? Results.Ok(new { tenant = DatabaseSeeder.DemoTenant, token = issuer.Issue(DatabaseSeeder.DemoTenant, "demo-site", [Roles.Viewer], TimeSpan.FromMinutes(30)) })
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Demo disabled"))
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static EntityPatch Patch(JsonObject fields) => new(fields.ToDictionary(f => f.Key, f => f.Value), null);
}
