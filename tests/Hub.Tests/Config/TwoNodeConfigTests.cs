using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Tests.Realtime.MultiNode;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Config;

/// <summary>Two nodes (one PostgreSQL database, one real Redis of the test's own that it stops and starts) in redis-first mode.</summary>
public sealed class TwoNodeConfigTests : IAsyncLifetime
{
    private const string SigningKey = "two-node-config-test-signing-key-0123456789-abcdef";
    private readonly string prefix = $"cfg{Guid.NewGuid():N}"[..12];
    private readonly List<IAsyncDisposable> owned = [];
    private PostgresDatabase database = null!;

    public async Task InitializeAsync() => database = await TestServers.CreatePostgresDatabaseAsync();

    public async Task DisposeAsync()
    {
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            await owned[i].DisposeAsync();
        }

        await database.DisposeAsync();
    }

    private HubApp Node(string id, string redis)
    {
        var app = new HubApp(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Redis:Configuration"] = redis,
            ["Redis:ChannelPrefix"] = prefix,
            ["Auth:Jwt:SigningKey"] = SigningKey,
            ["Node:Id"] = id,
        });
        owned.Add(app);
        _ = app.Services;
        return app;
    }

    private static string? Setting(HubApp app, string key) => app.Services.GetRequiredService<IConfiguration>()[key];

    private static async Task<JsonNode> ReadyAsync(HubApp app)
    {
        using var client = app.CreateClient();
        return JsonNode.Parse(await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task A_change_on_node_A_is_applied_on_node_B_within_one_second()
    {
        var a = Node("node-a", TestServers.Redis);
        var b = Node("node-b", TestServers.Redis);
        using var onA = ConfigClient.For(a);
        using var onB = ConfigClient.For(b);
        Assert.Equal("redis-first", (await ConfigClient.ListAsync(onB))["mode"]!.GetValue<string>());

        for (var round = 1; round <= 5; round++)
        {
            var value = 100 + round;
            var (status, body) = await ConfigClient.PutAsync(onA, "Realtime:History:MaxCount", $$"""{"value": {{value}}}""");
            Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());

            // Measured from A's answer (the write is committed in Redis): how long the PUT itself took on a loaded
            // machine is not what this test is about, and had made it fail under load with B already up to date.
            await ConfigClient.WaitUntilAsync(() => Task.FromResult(Setting(b, "Realtime:History:MaxCount") == $"{value}"), TimeSpan.FromSeconds(1), $"round {round}: B sees {value} within one second");
        }

        var onBView = await ConfigClient.GetAsync(onB, "Realtime:History:MaxCount");
        Assert.Equal("redis", onBView["source"]!.GetValue<string>());
        Assert.Equal(105, onBView["value"]!.GetValue<int>());
        Assert.Equal(5, onBView["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task With_redis_stopped_both_nodes_serve_last_known_values_report_degraded_and_refuse_writes_then_converge()
    {
        var redis = await PrivateRedis.StartAsync();
        owned.Add(redis);
        var a = Node("node-a", redis.Configuration);
        var b = Node("node-b", redis.Configuration);
        using var onA = ConfigClient.For(a);
        using var onB = ConfigClient.For(b);
        Assert.Equal(HttpStatusCode.OK, (await ConfigClient.PutAsync(onA, "Realtime:Presence:TtlSeconds", """{"value": 45}""")).Status);
        await ConfigClient.WaitUntilAsync(() => Task.FromResult(Setting(b, "Realtime:Presence:TtlSeconds") == "45"), TimeSpan.FromSeconds(1), "B sees 45");

        redis.Stop();

        foreach (var (node, client) in new[] { (a, onA), (b, onB) })
        {
            await ConfigClient.WaitUntilAsync(async () => (await ConfigClient.ListAsync(client))["degraded"]!.GetValue<bool>(), TimeSpan.FromSeconds(5), "degraded");
            Assert.Equal("45", Setting(node, "Realtime:Presence:TtlSeconds")); // last known value still served
            var entry = await ConfigClient.GetAsync(client, "Realtime:Presence:TtlSeconds");
            Assert.Equal("last-known", entry["source"]!.GetValue<string>());
            Assert.Equal(45, entry["value"]!.GetValue<int>());

            var check = (await ReadyAsync(node))["checks"]!["config"]!;
            Assert.Equal("Degraded", check["status"]!.GetValue<string>());
            Assert.True(check["data"]!["degraded"]!.GetValue<bool>());

            var (status, problem) = await ConfigClient.PutAsync(client, "Realtime:Presence:TtlSeconds", """{"value": 50}""");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("degraded", problem!["detail"]!.GetValue<string>());
            Assert.Equal("45", Setting(node, "Realtime:Presence:TtlSeconds"));

            // The node keeps serving requests (its entities API answers from the database).
            using var api = ConfigClient.For(node, role: "viewer");
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/tenants/demo/entities/team")).StatusCode);
        }

        await redis.StartAgainAsync();

        foreach (var client in new[] { onA, onB })
        {
            await ConfigClient.WaitUntilAsync(async () => !(await ConfigClient.ListAsync(client))["degraded"]!.GetValue<bool>(), TimeSpan.FromSeconds(15), "recovered");
        }

        Assert.Equal(HttpStatusCode.OK, (await ConfigClient.PutAsync(onB, "Realtime:Presence:TtlSeconds", """{"value": 60}""")).Status);
        await ConfigClient.WaitUntilAsync(() => Task.FromResult(Setting(a, "Realtime:Presence:TtlSeconds") == "60"), TimeSpan.FromSeconds(1), "A sees B's write after the outage");
        Assert.Equal(HttpStatusCode.OK, (await ConfigClient.PutAsync(onA, "Realtime:Presence:TtlSeconds", """{"value": 61}""")).Status);
        await ConfigClient.WaitUntilAsync(() => Task.FromResult(Setting(b, "Realtime:Presence:TtlSeconds") == "61"), TimeSpan.FromSeconds(1), "B sees A's write after the outage");
        Assert.Equal("redis", (await ConfigClient.GetAsync(onA, "Realtime:Presence:TtlSeconds"))["source"]!.GetValue<string>());
        Assert.Equal("Healthy", (await ReadyAsync(a))["checks"]!["config"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_node_that_starts_while_redis_is_down_serves_its_files_and_reports_degraded()
    {
        var redis = await PrivateRedis.StartAsync();
        owned.Add(redis);
        redis.Stop();

        var a = Node("node-a", redis.Configuration);
        using var onA = ConfigClient.For(a);

        var list = await ConfigClient.ListAsync(onA);
        Assert.True(list["degraded"]!.GetValue<bool>());
        Assert.All(list["keys"]!.AsArray().Where(k => !k!["secret"]!.GetValue<bool>()), k => Assert.Equal("file", k!["source"]!.GetValue<string>()));
        Assert.Equal("1000", Setting(a, "Realtime:History:MaxCount"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ConfigClient.PutAsync(onA, "Realtime:History:MaxCount", """{"value": 10}""")).Status);
    }
}
