using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Realtime.Backplane;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.Backplane;

/// <summary>The suite on two nodes over Redis, clients on the sending node and on the other one, plus what only a backplane has.</summary>
public sealed class RedisLifetimeManagerTests(RedisNodes nodes) : LifetimeManagerSuite(nodes), IClassFixture<RedisNodes>, IPlacements
{
    public static IReadOnlyList<Placement> Placements => [Placement.SameNode, Placement.OtherNode];

    [Fact]
    public void With_Redis_configuration_both_nodes_run_the_official_Redis_backplane_with_distinct_node_ids()
    {
        foreach (var node in new[] { Nodes.A, Nodes.B })
        {
            var manager = Assert.IsType<NodeHubLifetimeManager<SyncHub>>(node.Services.GetRequiredService<HubLifetimeManager<SyncHub>>());
            Assert.IsType<Microsoft.AspNetCore.SignalR.StackExchangeRedis.RedisHubLifetimeManager<SyncHub>>(manager.Inner);
        }

        Assert.NotEqual(NodeId(Nodes.A), NodeId(Nodes.B));
        Assert.Equal(BackplaneState.Connected, Nodes.A.Services.GetRequiredService<BackplaneStatus>().State);
    }

    [Fact]
    public async Task A_group_joined_on_the_owning_node_receives_sends_from_another_node()
    {
        var member = await ConnectAsync(Nodes.B);
        var group = Group("joined-on-b");

        await Hub(Nodes.B).Groups.AddToGroupAsync(member.ConnectionId, group);
        await Hub(Sender).Clients.Group(group).SendAsync("note", Marker(member), new Note("from a", 12));

        await member.WaitForAsync("note", i => i.Arguments[1].GetProperty("text").GetString() == "from a");
    }

    [Fact]
    public async Task A_connection_removed_from_a_group_on_another_node_stops_receiving_from_every_node()
    {
        var client = await ConnectAsync(Nodes.B);
        var group = Group("cross-remove");
        await Hub(Sender).Groups.AddToGroupAsync(client.ConnectionId, group);

        await Hub(Sender).Groups.RemoveFromGroupAsync(client.ConnectionId, group);

        // Neither the remote sender nor the owning node itself still has it in the group.
        await Hub(Sender).Clients.Group(group).SendAsync("note", Marker(client), new Note("from a", 13));
        await Hub(Nodes.B).Clients.Group(group).SendAsync("note", Marker(client), new Note("from b", 14));
        await FenceAsync(client);
        Assert.DoesNotContain(client.Invocations, i => i.Target == "note");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Changing_the_groups_of_an_unknown_connection_fails_within_the_ack_timeout_with_a_clear_error(bool add)
    {
        var group = Group("nobody");
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => add
            ? Hub(Sender).Groups.AddToGroupAsync("no-such-connection", group)
            : Hub(Sender).Groups.RemoveFromGroupAsync("no-such-connection", group));

        Assert.Contains("no-such-connection is not connected to any node", error.Message);
        Assert.InRange(watch.ElapsedMilliseconds, RedisNodes.AckTimeoutMs - 100, RedisNodes.AckTimeoutMs + 3000);
    }

    [Fact]
    public async Task The_status_counts_what_a_node_hands_to_the_backplane()
    {
        var client = await ConnectAsync(Nodes.B);
        var a = Nodes.A.Services.GetRequiredService<BackplaneStatus>();
        var published = a.MessagesPublished;

        await Hub(Sender).Clients.Client(client.ConnectionId).SendAsync("note", Marker(client), new Note("counted", 15));
        await client.WaitForAsync("note");

        await Eventually.HoldsAsync(() => a.MessagesPublished > published, "A counts its publish", 5);
        Assert.Equal(0, a.PublishErrors);
    }


    private static string NodeId(HubApp app) => app.Services.GetRequiredService<NodeInfo>().NodeId;

    /// <summary>These tests check one client each; any marker will do.</summary>
    private static string Marker(RawHubClient client) => client.ConnectionId;
}
