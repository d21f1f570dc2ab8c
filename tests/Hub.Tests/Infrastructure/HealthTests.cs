using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

public sealed class HealthTests
{
    [Fact]
    public async Task A_host_with_no_configuration_is_live_and_ready_in_embedded_mode()
    {
        await using var app = new HubApp();
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("embedded", body.RootElement.GetProperty("mode").GetString());
        var checks = body.RootElement.GetProperty("checks");
        Assert.Equal("sqlite", checks.GetProperty("database").GetProperty("data").GetProperty("provider").GetString());
        Assert.Equal("local", checks.GetProperty("blobs").GetProperty("data").GetProperty("kind").GetString());
        Assert.False(checks.GetProperty("redis").GetProperty("data").GetProperty("configured").GetBoolean());
        Assert.True(File.Exists(Path.Combine(app.DataPath, "realtime-sync.db")), "the SQLite database is created under the data folder");
    }

    [Fact]
    public async Task A_production_host_is_ready_only_with_postgres_redis_and_s3_answering()
    {
        await using var database = await TestServers.CreatePostgresDatabaseAsync();
        var settings = TestServers.S3Settings();
        settings["ConnectionStrings:Postgres"] = database.ConnectionString;
        settings["Redis:Configuration"] = TestServers.Redis;
        await using var app = new HubApp(settings);
        using var client = app.CreateClient();

        var ready = await client.GetAsync("/health/ready");
        var text = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, text);
        using var body = JsonDocument.Parse(text);
        Assert.Equal("production", body.RootElement.GetProperty("mode").GetString());
        var checks = body.RootElement.GetProperty("checks");
        Assert.Equal("postgresql", checks.GetProperty("database").GetProperty("data").GetProperty("provider").GetString());
        Assert.True(checks.GetProperty("redis").GetProperty("data").GetProperty("configured").GetBoolean());
        Assert.Equal("s3", checks.GetProperty("blobs").GetProperty("data").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Readiness_reports_whether_document_server_answers_the_signed_version_command()
    {
        var standIn = await DocumentServerStandIn.StartAsync("health-document-server-secret-0123456789abcdef");
        await using var app = new HubApp(new Dictionary<string, string?>
        {
            ["OnlyOffice:DocumentServerUrl"] = standIn.Address.ToString(),
            ["OnlyOffice:JwtSecret"] = standIn.Secret,
        });
        using var client = app.CreateClient();

        var up = await ReadyChecksAsync(client);
        Assert.Equal(HttpStatusCode.OK, up.Status);
        Assert.Equal("Healthy", up.Checks.GetProperty("documentServer").GetProperty("status").GetString());
        Assert.Equal(DocumentServerStandIn.Version, up.Checks.GetProperty("documentServer").GetProperty("data").GetProperty("version").GetString());
        Assert.Contains(standIn.Commands, c => c["c"]?.GetValue<string>() == "version" && c["token"] is not null); // signed: the stand-in checks it

        await standIn.DisposeAsync();
        var down = await ReadyChecksAsync(client);
        // Degraded, not Unhealthy: the node still serves everything but editing, so it stays in the load balancer.
        Assert.Equal(HttpStatusCode.OK, down.Status);
        Assert.Equal("Degraded", down.Checks.GetProperty("documentServer").GetProperty("status").GetString());
        Assert.Contains("unreachable", down.Checks.GetProperty("documentServer").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_document_server_url_readiness_does_not_probe_one()
    {
        await using var app = new HubApp();
        using var client = app.CreateClient();
        var ready = await ReadyChecksAsync(client);
        Assert.Equal("not configured", ready.Checks.GetProperty("documentServer").GetProperty("description").GetString());
    }

    private static async Task<(HttpStatusCode Status, JsonElement Checks)> ReadyChecksAsync(HttpClient client)
    {
        var response = await client.GetAsync("/health/ready");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("checks").Clone());
    }
    [Fact]
    public async Task Readiness_follows_redis_going_down_and_coming_back()
    {
        var port = TestServers.FreePort();
        using var redis = StartRedis(port);
        await using var app = new HubApp(new Dictionary<string, string?> { ["Redis:Configuration"] = $"127.0.0.1:{port}" });
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await EventuallyAsync(client, HttpStatusCode.OK));

        redis.Kill();
        await redis.WaitForExitAsync();
        var down = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Contains("\"redis\":{\"status\":\"Unhealthy\"", await down.Content.ReadAsStringAsync());

        using var restarted = StartRedis(port);
        Assert.Equal(HttpStatusCode.OK, await EventuallyAsync(client, HttpStatusCode.OK));
        restarted.Kill();
    }

    private static Process StartRedis(int port) => Process.Start(new ProcessStartInfo(TestServers.RedisServerBinary,
        $"--bind 127.0.0.1 --port {port} --save \"\" --appendonly no")
    { RedirectStandardOutput = true })!;

    /// <summary>Polls /health/ready (bounded: 15 s) until it answers <paramref name="wanted"/>; returns the last status.</summary>
    private static async Task<HttpStatusCode> EventuallyAsync(HttpClient client, HttpStatusCode wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        HttpStatusCode last;
        do
        {
            last = (await client.GetAsync("/health/ready")).StatusCode;
            if (last == wanted)
            {
                return last;
            }

            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        return last;
    }
}
