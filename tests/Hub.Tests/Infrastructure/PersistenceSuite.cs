using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

/// <summary>One behaviour suite for the database layer, run on SQLite and on PostgreSQL.</summary>
public abstract class PersistenceSuite : BackendSuite
{
    protected string Provider => Backend == Backend.Postgres ? "Postgres" : "Sqlite";

    /// <summary>Drops every table, as on a brand-new database.</summary>
    protected abstract Task ResetSchemaAsync(RealtimeSyncDb db);

    [Fact]
    public async Task Fresh_database_gets_every_migration_and_the_demo_seed()
    {
        var app = Start();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        Assert.Contains(Provider == "Postgres" ? "Npgsql" : "Sqlite", db.Database.ProviderName);

        var applied = await db.Database.SqlQueryRaw<int>("SELECT version AS \"Value\" FROM schema_migrations ORDER BY version").ToListAsync();
        Assert.Equal(SchemaMigrator.Scripts(Provider).Select(m => m.Version), applied);

        var tenant = await db.Tenants.SingleAsync(t => t.Id == "demo");
        Assert.Equal("Demo", tenant.Name);

        var admin = await db.Users.SingleAsync(u => u.UserName == "admin");
        Assert.Equal("admin", admin.Role);
        var hasher = scope.ServiceProvider.GetRequiredService<IPasswordHasher<UserRow>>();
        Assert.NotEqual(HubApp.AdminPassword, admin.PasswordHash);
        Assert.NotEqual(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(admin, admin.PasswordHash, HubApp.AdminPassword));
    }

    [Fact]
    public async Task Restarting_on_a_migrated_database_applies_nothing_and_keeps_the_admin_password()
    {
        var first = Start();
        string hash;
        await using (var scope = first.Services.CreateAsyncScope())
        {
            hash = (await scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>().Users.SingleAsync()).PasswordHash;
        }

        var second = Start(new() { ["Admin:InitialPassword"] = "a-different-password" });
        await using var again = second.Services.CreateAsyncScope();
        Assert.Empty(await again.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync());
        Assert.Equal(hash, (await again.ServiceProvider.GetRequiredService<RealtimeSyncDb>().Users.SingleAsync()).PasswordHash);
    }

    [Fact]
    public async Task Concurrent_migrators_apply_each_migration_exactly_once()
    {
        var app = Start();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            // back to an empty schema, as on a brand-new database
            await ResetSchemaAsync(db);
        }

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync();
        }));

        Assert.Equal(SchemaMigrator.Scripts(Provider).Count, runs.Sum(r => r.Count));
    }

    [Fact]
    public async Task An_applied_migration_that_was_edited_stops_start_up()
    {
        var app = Start();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        await db.Database.ExecuteSqlRawAsync("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync());
        Assert.Contains("was changed after it was applied", error.Message);
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_build_stops_start_up()
    {
        var app = Start();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        await db.Database.ExecuteSqlRawAsync(Provider == "Postgres"
            ? "INSERT INTO schema_migrations VALUES (9999, 'future', 'x', now())"
            : "INSERT INTO schema_migrations VALUES (9999, 'future', 'x', '2030-01-01')");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync());
        Assert.Contains("9999", error.Message);
    }

    [Fact]
    public async Task User_names_are_unique()
    {
        var app = Start();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        db.Users.Add(new UserRow { Id = "dup", UserName = "admin", PasswordHash = "x", Role = "viewer", TenantId = "demo", CreatedAt = DateTimeOffset.UtcNow });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public void Two_nodes_on_one_database_share_the_cookie_key_ring()
    {
        var nodeA = Start();
        var nodeB = Start();
        var protectedByA = nodeA.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("admin session");
        Assert.Equal("admin session", nodeB.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedByA));
    }
}

public sealed class SqlitePersistenceTests : PersistenceSuite
{
    protected override Backend Backend => Backend.Sqlite;

    protected override async Task ResetSchemaAsync(RealtimeSyncDb db)
    {
        await db.Database.OpenConnectionAsync();
        await db.Database.ExecuteSqlRawAsync("PRAGMA foreign_keys = OFF");
        var tables = await db.Database.SqlQueryRaw<string>("SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").ToListAsync();
        foreach (var table in tables)
        {
#pragma warning disable EF1002 // names come from sqlite_master
            await db.Database.ExecuteSqlRawAsync($"DROP TABLE \"{table}\"");
#pragma warning restore EF1002
        }

        await db.Database.ExecuteSqlRawAsync("PRAGMA foreign_keys = ON");
        await db.Database.CloseConnectionAsync();
    }
}

public sealed class PostgresPersistenceTests : PersistenceSuite
{
    protected override Backend Backend => Backend.Postgres;

    protected override Task ResetSchemaAsync(RealtimeSyncDb db) =>
        db.Database.ExecuteSqlRawAsync("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
}
