using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.MultiNode;

/// <summary>
/// Two hosts with distinct node ids on one PostgreSQL database and one Redis, real
/// <c>@microsoft/signalr</c> subscribers (the product's JS client in Node), edits through the API.
/// </summary>
public sealed class MultiNodeTests : IAsyncLifetime
{
    private const string Team = "demo/entities/team";
    private const string SigningKey = "multi-node-test-signing-key-0123456789-abcdefghij";

    private readonly string prefix = $"mn{Guid.NewGuid():N}"[..12];
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

    private HubApp Node(string id, string redis, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Redis:Configuration"] = redis,
            ["Redis:ChannelPrefix"] = prefix,
            ["Auth:Jwt:SigningKey"] = SigningKey,
            ["Node:Id"] = id,
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        var app = new HubApp(settings, realServer: true);
        owned.Add(app);
        return app;
    }

    private T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        owned.Add(disposable);
        return disposable;
    }

    private static string Token(HubApp app, string tenant, string role = "viewer", string subject = "site") =>
        app.Services.GetRequiredService<TokenIssuer>().Issue(tenant, subject, [role], TimeSpan.FromMinutes(10));

    private NodeSubscriber Subscribe(Uri host, string token, params string[] channels) =>
        Own(NodeSubscriber.Start(new Uri(host, "hubs/sync"), token, channels));

    private static async Task<long> EditAsync(HubApp app, string tenant, string type, string id, string field, string value)
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(app, tenant, "editor", "editor"));
        var current = await client.GetFromJsonAsync<JsonObject>($"/api/tenants/{tenant}/entities/{type}/{id}");
        var body = new JsonObject { ["baseVersion"] = current!["version"]!.GetValue<long>(), ["fields"] = new JsonObject { [field] = value } };
        var response = await client.PatchAsync($"/api/tenants/{tenant}/entities/{type}/{id}", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["entity"]!["version"]!.GetValue<long>();
    }

    private static IReadOnlyList<(long Offset, string Role)> Roles(NodeSubscriber subscriber) => subscriber.Publications
        .Select(p => (p.GetProperty("offset").GetInt64(), p.GetProperty("data").GetProperty("changed").TryGetProperty("role", out var r) ? r.GetString() ?? "" : ""))
        .ToList();

    [Fact]
    public async Task An_api_edit_on_node_A_reaches_subscribers_on_node_B_in_order()
    {
        var a = Node("node-a", TestServers.Redis);
        var b = Node("node-b", TestServers.Redis);
        var onB = Subscribe(b.Address, Token(b, "demo"), Team);
        await onB.WaitForEventAsync("subscribed", "the subscription on node B");

        for (var i = 1; i <= 10; i++)
        {
            await EditAsync(a, "demo", "team", "ada", "role", $"role-{i}");
        }

        var received = await onB.WaitForCountAsync(e => NodeSubscriber.Is(e, "publication"), 10, "10 edits made on node A");
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"role-{i}"), Roles(onB).Select(r => r.Role));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), received.Select(p => p.GetProperty("offset").GetInt64()).Select((o, i) => o - received[0].GetProperty("offset").GetInt64() + 1));
    }

    [Theory]
    [InlineData(10_000, false)]
    [InlineData(3, true)]
    public async Task With_redis_stopped_node_A_keeps_its_subscribers_served_and_node_B_subscribers_get_every_edit_or_a_resync(int outageBuffer, bool expectResync)
    {
        var redis = Own(await PrivateRedis.StartAsync());
        var a = Node("node-a", redis.Configuration, new() { ["Realtime:Outage:MaxBuffered"] = outageBuffer.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var b = Node("node-b", redis.Configuration);
        var onA = Subscribe(a.Address, Token(a, "demo"), Team);
        var onB = Subscribe(b.Address, Token(b, "demo"), Team);
        await onA.WaitForEventAsync("subscribed", "A's subscription");
        await onB.WaitForEventAsync("subscribed", "B's subscription");
        await EditAsync(a, "demo", "team", "grace", "role", "before");
        await onB.WaitForCountAsync(e => NodeSubscriber.Is(e, "publication"), 1, "the first edit on B");

        redis.Stop();
        var outage = Stopwatch.StartNew();
        for (var i = 1; i <= 8; i++)
        {
            await EditAsync(a, "demo", "team", "grace", "role", $"outage-{i}");
        }

        await onA.WaitForCountAsync(e => NodeSubscriber.Is(e, "publication"), 9, "every edit on A's own subscriber during the outage");
        await Task.Delay(TimeSpan.FromSeconds(5) - outage.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
        await redis.StartAgainAsync();

        if (expectResync)
        {
            await onB.WaitForEventAsync("resync", "B's subscriber told to resync (the outage outgrew the buffer)");
        }
        else
        {
            await onB.WaitForCountAsync(e => NodeSubscriber.Is(e, "publication"), 9, "B's subscriber recovering the 8 outage edits");
            Assert.Equal(["before", .. Enumerable.Range(1, 8).Select(i => $"outage-{i}")], Roles(onB).Select(r => r.Role));
            Assert.Equal(9, Roles(onB).Select(r => r.Offset).Distinct().Count());
            Assert.DoesNotContain(onB.Events, e => NodeSubscriber.Is(e, "resync"));
        }

        Assert.Equal(["before", .. Enumerable.Range(1, 8).Select(i => $"outage-{i}")], Roles(onA).Select(r => r.Role).Take(9));
    }

    [Fact]
    public async Task When_node_A_dies_its_subscribers_reconnect_to_B_and_recover_what_was_published_meanwhile()
    {
        var a = Node("node-a", TestServers.Redis);
        var b = Node("node-b", TestServers.Redis);
        var balancer = Own(new SwitchableProxy(a.Address));
        var subscriber = Subscribe(balancer.Address, Token(a, "demo"), Team);
        await subscriber.WaitForEventAsync("subscribed", "the subscription through the balancer");
        await EditAsync(a, "demo", "team", "alan", "role", "first");
        await subscriber.WaitForCountAsync(e => NodeSubscriber.Is(e, "publication"), 1, "the first edit");

        await a.DisposeAsync();            // node A dies
        balancer.SwitchTo(b.Address);      // the balancer sends reconnects to B
        for (var i = 1; i <= 5; i++)
        {
            await EditAsync(b, "demo", "team", "alan", "role", $"meanwhile-{i}");
        }

        await subscriber.WaitForCountAsync(e => NodeSubscriber.Is(e, "publication"), 6, "the 5 edits made while reconnecting");
        Assert.Equal(["first", .. Enumerable.Range(1, 5).Select(i => $"meanwhile-{i}")], Roles(subscriber).Select(r => r.Role));
        Assert.Equal(6, Roles(subscriber).Select(r => r.Offset).Distinct().Count());
    }

    [Fact]
    public async Task A_subscriber_never_receives_another_tenants_publications_on_any_node()
    {
        var a = Node("node-a", TestServers.Redis);
        var b = Node("node-b", TestServers.Redis);
        await using (var scope = a.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            db.Tenants.Add(new TenantRow { Id = "acme", Name = "Acme", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        string[] types = ["team", "services", "solutions", "settings"];
        static int Expected(string tenant) => tenant == "demo" ? 12 : 7; // demo: 6 team + 6 settings edits; acme: a create + 6 edits
        var subscribers = new List<(string Tenant, NodeSubscriber Subscriber)>();
        foreach (var node in new[] { a, b })
        {
            foreach (var tenant in new[] { "demo", "acme" })
            {
                subscribers.Add((tenant, Subscribe(node.Address, Token(node, tenant), types.Select(t => $"{tenant}/entities/{t}").ToArray())));
            }
        }

        foreach (var (_, subscriber) in subscribers)
        {
            await subscriber.WaitForCountAsync(e => NodeSubscriber.Is(e, "subscribed"), types.Length, "every subscription");
        }

        using (var client = a.CreateClient())
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(a, "acme", "editor"));
            var created = await client.PostAsync("/api/tenants/acme/entities/team", new StringContent("""{"id":"wile","fields":{"name":"Wile E."}}""", Encoding.UTF8, "application/json"));
            created.EnsureSuccessStatusCode();
        }

        for (var i = 0; i < 6; i++)
        {
            var node = i % 2 == 0 ? a : b;
            await EditAsync(node, "demo", "team", "ada", "role", $"demo-{i}");
            await EditAsync(node, "acme", "team", "wile", "role", $"acme-{i}");
            await EditAsync(node, "demo", "settings", "default", "tagline", $"demo-tag-{i}");
        }

        foreach (var (tenant, subscriber) in subscribers)
        {
            await subscriber.WaitForCountAsync(e => NodeSubscriber.Is(e, "publication"), Expected(tenant), $"{tenant}'s publications");
        }

        await Task.Delay(500); // anything misrouted would have arrived by now
        foreach (var (tenant, subscriber) in subscribers)
        {
            Assert.All(subscriber.Publications, p => Assert.StartsWith($"{tenant}/", p.GetProperty("channel").GetString()));
            Assert.Equal(Expected(tenant), subscriber.Publications.Count);
        }
    }
}
