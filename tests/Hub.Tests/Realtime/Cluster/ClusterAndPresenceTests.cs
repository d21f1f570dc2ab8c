using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Realtime.Cluster;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.Cluster;

/// <summary>The cluster view and presence, with two nodes on one Redis.</summary>
public sealed class ClusterAndPresenceTests : IAsyncLifetime
{
    private readonly string prefix = $"cl{Guid.NewGuid():N}"[..12];
    private readonly List<IAsyncDisposable> owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            await owned[i].DisposeAsync();
        }
    }

    private HubApp Node(string id, bool realServer = false)
    {
        var app = new HubApp(new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = TestServers.Redis,
            ["Redis:ChannelPrefix"] = prefix,
            ["Node:Id"] = id,
            ["Realtime:Presence:TtlSeconds"] = "3",
        }, realServer);
        owned.Add(app);
        _ = app.Services;
        return app;
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, int seconds = 15)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), $"{what} within {seconds} s (last: {value})");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Every_node_sees_every_node_with_its_connections_and_a_dead_node_is_shown_lost()
    {
        var a = Node("node-a");
        var b = Node("node-b", realServer: true);
        var token = b.Services.GetRequiredService<TokenIssuer>().Issue("demo", "viewer", ["viewer"], TimeSpan.FromMinutes(5));
        var client = await RawHubClient.ConnectAsync(b.Address, token); // disposed below, with its node
        await client.InvokeAsync("Subscribe", "demo/entities/team", null);
        var registry = a.Services.GetRequiredService<ClusterRegistry>();

        var nodes = await EventuallyAsync(registry.NodesAsync, n => n.Any(x => x.NodeId == "node-b" && x.Connections == 1 && x.Subscriptions == 1), "node B's connection seen from node A");
        Assert.Equal("node-a", nodes[0].NodeId);
        Assert.All(nodes, n => Assert.Equal("connected", n.Backplane));

        await client.DisposeAsync();
        await b.DisposeAsync();
        await EventuallyAsync(async () => (await registry.NodesAsync()).Single(n => n.NodeId == "node-b"), registry.IsLost, "node B shown as lost");
    }

    [Fact]
    public async Task Presence_is_shared_across_nodes_and_a_dead_nodes_members_expire_with_a_leave()
    {
        var a = Node("node-a");
        var b = Node("node-b");
        var channel = ChannelName.Presence("demo", "team/ada");
        var onB = new List<Publication>();
        b.Services.GetRequiredService<ChannelPublisher>().Listen(channel, p =>
        {
            lock (onB)
            {
                onB.Add(p);
            }

            return Task.CompletedTask;
        });
        var presenceA = a.Services.GetRequiredService<PresenceTracker>();
        var presenceB = b.Services.GetRequiredService<PresenceTracker>();

        await presenceB.JoinAsync("demo", "team/ada", "bea-circuit", "bea");
        await presenceA.JoinAsync("demo", "team/ada", "ada-circuit", "admin");
        var both = await EventuallyAsync(() => presenceB.MembersAsync("demo", "team/ada"), m => m.Count == 2, "both editors seen from node B");
        Assert.Equal(["bea", "admin"], both.Select(m => m.User));
        await EventuallyAsync(() => Task.FromResult(onB.Count(p => p.Type == PublicationTypes.PresenceJoined)), n => n == 2, "two joins pushed on node B");

        await a.DisposeAsync(); // node A dies without its editor leaving

        var left = await EventuallyAsync(() => presenceB.MembersAsync("demo", "team/ada"), m => m.Count == 1, "node A's editor expired");
        Assert.Equal("bea", left.Single().User);
        await EventuallyAsync(() => Task.FromResult(onB.Any(p => p.Type == PublicationTypes.PresenceLeft && p.Data.GetProperty("memberId").GetString() == "ada-circuit")), x => x, "a leave pushed for the dead node's editor");
    }
}
