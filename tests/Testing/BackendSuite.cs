using Xunit;

namespace RealtimeSync.Testing;

/// <summary>The database a behaviour suite runs on (one suite, several backends).</summary>
public enum Backend
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Base of the suites that run once per database backend: each test gets a fresh database of
/// <see cref="Backend"/> (a temp SQLite folder, or a new PostgreSQL database on the test server) and may
/// start several hosts on it (several nodes).
/// </summary>
public abstract class BackendSuite : IAsyncLifetime
{
    private readonly List<HubApp> apps = [];
    private readonly Dictionary<string, string?> database = [];
    private PostgresDatabase? postgres;

    protected abstract Backend Backend { get; }

    public async Task InitializeAsync()
    {
        if (Backend == Backend.Postgres)
        {
            postgres = await TestServers.CreatePostgresDatabaseAsync();
            database["ConnectionStrings:Postgres"] = postgres.ConnectionString;
        }
        else
        {
            database["Storage:DataPath"] = Path.Combine(Path.GetTempPath(), "rs-tests", Guid.NewGuid().ToString("N"));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }

        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }

    /// <summary>Starts a host (a node) on this test's database, with <paramref name="extra"/> settings on top.</summary>
    /// <param name="extra">Settings over this test's database.</param>
    /// <param name="realServer">Kestrel on a real 127.0.0.1 port, for clients outside the process (or behind a proxy).</param>
    protected HubApp Start(Dictionary<string, string?>? extra = null, bool realServer = false)
    {
        var settings = new Dictionary<string, string?>(database);
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var app = new HubApp(settings, realServer);
        apps.Add(app);
        _ = app.Services; // builds and starts the host: migrations and seed run here
        return app;
    }
}
