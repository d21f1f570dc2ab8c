using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Infrastructure.Hosting;

namespace RealtimeSync.Hub.Infrastructure.Persistence;

public static class PersistenceSetup
{
    /// <summary>PostgreSQL when <c>ConnectionStrings:Postgres</c> is set, else a SQLite file under the data folder.</summary>
    public static WebApplicationBuilder AddPersistence(this WebApplicationBuilder builder)
    {
        // Resolved per context so configuration is read when the host runs, not when Program.cs is parsed
        // (the test host and `dotnet run` layer their settings differently).
        builder.Services.AddDbContext<RealtimeSyncDb>((sp, options) =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var postgres = configuration.GetConnectionString("Postgres");
            if (!string.IsNullOrWhiteSpace(postgres))
            {
                options.UseNpgsql(postgres);
            }
            else
            {
                var file = sp.GetRequiredService<DataDirectory>().Combine("realtime-sync.db");
                options.UseSqlite($"Data Source={file};Default Timeout=30;Pooling=True");
            }
        });
        // SQLite has one writer per file: this process's write transactions take turns (see SqliteWriteGate).
        builder.Services.AddSingleton<SqliteWriteGate>();
        builder.Services.AddScoped<SchemaMigrator>();
        builder.Services.AddScoped<DatabaseSeeder>();
        builder.Services.AddSingleton<IPasswordHasher<UserRow>, PasswordHasher<UserRow>>();
        builder.Services.AddDatabaseKeyRing();
        return builder;
    }

    /// <summary>Applies migrations and seeds before the node accepts traffic.</summary>
    public static async Task InitializeDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync();
        await scope.ServiceProvider.GetRequiredService<DatabaseSeeder>().SeedAsync();
        if (string.IsNullOrWhiteSpace(app.Configuration.GetConnectionString("Postgres")))
        {
            // The SQLite file holds the data-protection key ring (cookies, site-key secrets): the owner's only.
            var file = app.Services.GetRequiredService<DataDirectory>().Combine("realtime-sync.db");
            foreach (var path in new[] { file, file + "-wal", file + "-shm", file + "-journal" })
            {
                DataDirectory.MakePrivate(path);
            }
        }
    }
}
