using Npgsql;

namespace RealtimeSync.Testing;

/// <summary>
/// The real servers the README test command starts (eng/test-servers.sh) and hands over in RS_TEST_*
/// variables. A test that needs one and does not find it fails with a message saying how to run it;
/// it never skips.
/// </summary>
public static class TestServers
{
    public static string Postgres => Require("RS_TEST_POSTGRES", "PostgreSQL");

    public static string Redis => Require("RS_TEST_REDIS", "Redis");

    public static string RedisServerBinary => Require("RS_TEST_REDIS_SERVER", "redis-server");

    public static string S3Url => Require("RS_TEST_S3_URL", "s3rver");

    public static string S3Bucket => Require("RS_TEST_S3_BUCKET", "s3rver");

    public static string S3AccessKey => Require("RS_TEST_S3_ACCESS_KEY", "s3rver");

    public static string S3SecretKey => Require("RS_TEST_S3_SECRET_KEY", "s3rver");

    public static string Chromium => Require("RS_TEST_CHROMIUM", "Chromium");

    public static string Prometheus => Require("RS_TEST_PROMETHEUS", "prometheus");

    public static string Promtool => Require("RS_TEST_PROMTOOL", "promtool");

    public static Dictionary<string, string?> S3Settings() => new()
    {
        ["Storage:S3:ServiceUrl"] = S3Url,
        ["Storage:S3:Bucket"] = S3Bucket,
        ["Storage:S3:AccessKey"] = S3AccessKey,
        ["Storage:S3:SecretKey"] = S3SecretKey,
        ["Storage:S3:ForcePathStyle"] = "true",
    };

    /// <summary>A new, empty PostgreSQL database on the test server; dropped on dispose.</summary>
    public static async Task<PostgresDatabase> CreatePostgresDatabaseAsync()
    {
        var name = $"rs_test_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(Postgres) { Database = name };
        return new PostgresDatabase(name, builder.ConnectionString);
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Require(string variable, string server) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set: this test needs a real {server}. Run the tests with the README test command (./test.sh), which installs and starts it.");
}

public sealed class PostgresDatabase(string name, string connectionString) : IAsyncDisposable
{
    public string Name { get; } = name;

    public string ConnectionString { get; } = connectionString;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestServers.Postgres);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
