using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.Backplane;

/// <summary>Where the receiving clients are, relative to node A, which sends.</summary>
public enum Placement
{
    SameNode,
    OtherNode,
}

/// <summary>
/// What every SignalR lifetime manager must do for <see cref="SyncHub"/>, written once and run against the
/// in-process manager and the Redis backplane (there: with the clients on the sending node and on another
/// node). Real hosts on real sockets, raw WebSocket clients, sends through <see cref="IHubContext{THub}"/>.
/// A message that must not arrive is checked after a fence: a later message to the same client from the
/// same node, which the backplane delivers in order.
/// </summary>
public abstract class LifetimeManagerSuite(BackplaneNodes nodes) : IAsyncLifetime
{
    private readonly List<RawHubClient> clients = [];
    private readonly string marker = Guid.NewGuid().ToString("N")[..8];
    private int fences;

    protected BackplaneNodes Nodes => nodes;

    /// <summary>Node A: every send of the suite starts here.</summary>
    protected HubApp Sender => nodes.A;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Theory]
    [Placements]
    public async Task Send_to_all_reaches_connections_on_every_node(Placement placement)
    {
        var there = await ConnectAsync(NodeFor(placement));
        var here = await ConnectAsync(Sender);

        await Hub(Sender).Clients.All.SendAsync("note", marker, new Note("to all", 1));

        await AssertNoteAsync(there, "to all", 1);
        await AssertNoteAsync(here, "to all", 1);
    }

    [Theory]
    [Placements]
    public async Task Send_to_all_except_skips_only_the_excluded_connection(Placement placement)
    {
        var excluded = await ConnectAsync(NodeFor(placement));
        var other = await ConnectAsync(NodeFor(placement));

        await Hub(Sender).Clients.AllExcept(excluded.ConnectionId).SendAsync("note", marker, new Note("all but one", 2));

        await AssertNoteAsync(other, "all but one", 2);
        await AssertNoNoteAsync(excluded);
    }

    [Theory]
    [Placements]
    public async Task Send_to_a_connection_reaches_only_that_connection(Placement placement)
    {
        var target = await ConnectAsync(NodeFor(placement));
        var bystander = await ConnectAsync(NodeFor(placement));

        await Hub(Sender).Clients.Client(target.ConnectionId).SendAsync("note", marker, new Note("just you", 3));

        await AssertNoteAsync(target, "just you", 3);
        await AssertNoNoteAsync(bystander);
    }

    [Theory]
    [Placements]
    public async Task Send_to_several_connections_reaches_each_of_them_on_any_node(Placement placement)
    {
        var there = await ConnectAsync(NodeFor(placement));
        var here = await ConnectAsync(Sender);
        var bystander = await ConnectAsync(NodeFor(placement));

        await Hub(Sender).Clients.Clients(there.ConnectionId, here.ConnectionId).SendAsync("note", marker, new Note("you two", 4));

        await AssertNoteAsync(there, "you two", 4);
        await AssertNoteAsync(here, "you two", 4);
        await AssertNoNoteAsync(bystander);
    }

    [Theory]
    [Placements]
    public async Task Send_to_a_group_reaches_its_members_only(Placement placement)
    {
        var member = await ConnectAsync(NodeFor(placement));
        var outsider = await ConnectAsync(NodeFor(placement));
        var group = Group("team");

        // Added through node A: for a client on node B that is a cross-node membership change.
        await Hub(Sender).Groups.AddToGroupAsync(member.ConnectionId, group);
        await Hub(Sender).Clients.Group(group).SendAsync("note", marker, new Note("team news", 5));

        await AssertNoteAsync(member, "team news", 5);
        await AssertNoNoteAsync(outsider);
    }

    [Theory]
    [Placements]
    public async Task Send_to_a_group_except_skips_the_excluded_member(Placement placement)
    {
        var excluded = await ConnectAsync(NodeFor(placement));
        var member = await ConnectAsync(NodeFor(placement));
        var group = Group("team");
        await Hub(Sender).Groups.AddToGroupAsync(excluded.ConnectionId, group);
        await Hub(Sender).Groups.AddToGroupAsync(member.ConnectionId, group);

        await Hub(Sender).Clients.GroupExcept(group, excluded.ConnectionId).SendAsync("note", marker, new Note("not for the editor", 6));

        await AssertNoteAsync(member, "not for the editor", 6);
        await AssertNoNoteAsync(excluded);
    }

    [Theory]
    [Placements]
    public async Task Send_to_several_groups_reaches_the_members_of_each(Placement placement)
    {
        var first = await ConnectAsync(NodeFor(placement));
        var second = await ConnectAsync(Sender);
        var outsider = await ConnectAsync(NodeFor(placement));
        var (one, two) = (Group("one"), Group("two"));
        await Hub(Sender).Groups.AddToGroupAsync(first.ConnectionId, one);
        await Hub(Sender).Groups.AddToGroupAsync(second.ConnectionId, two);

        await Hub(Sender).Clients.Groups(one, two).SendAsync("note", marker, new Note("both groups", 7));

        await AssertNoteAsync(first, "both groups", 7);
        await AssertNoteAsync(second, "both groups", 7);
        await AssertNoNoteAsync(outsider);
    }

    [Theory]
    [Placements]
    public async Task Send_to_a_user_reaches_every_connection_of_that_token_subject(Placement placement)
    {
        var ada = User("ada");
        var adaThere = await ConnectAsync(NodeFor(placement), ada);
        var adaHere = await ConnectAsync(Sender, ada);
        var grace = await ConnectAsync(NodeFor(placement), User("grace"));

        await Hub(Sender).Clients.User(ada).SendAsync("note", marker, new Note("for ada", 8));

        await AssertNoteAsync(adaThere, "for ada", 8);
        await AssertNoteAsync(adaHere, "for ada", 8);
        await AssertNoNoteAsync(grace);
    }

    [Theory]
    [Placements]
    public async Task Send_to_several_users_reaches_each_subject(Placement placement)
    {
        var (ada, grace) = (User("ada"), User("grace"));
        var adaClient = await ConnectAsync(NodeFor(placement), ada);
        var graceClient = await ConnectAsync(Sender, grace);
        var linus = await ConnectAsync(NodeFor(placement), User("linus"));

        await Hub(Sender).Clients.Users(ada, grace).SendAsync("note", marker, new Note("for ada and grace", 9));

        await AssertNoteAsync(adaClient, "for ada and grace", 9);
        await AssertNoteAsync(graceClient, "for ada and grace", 9);
        await AssertNoNoteAsync(linus);
    }

    [Theory]
    [Placements]
    public async Task A_connection_removed_from_a_group_no_longer_receives_its_messages(Placement placement)
    {
        var client = await ConnectAsync(NodeFor(placement));
        var group = Group("leaving");
        await Hub(Sender).Groups.AddToGroupAsync(client.ConnectionId, group);
        await Hub(Sender).Clients.Group(group).SendAsync("note", marker, new Note("before", 10));
        await AssertNoteAsync(client, "before", 10);

        await Hub(Sender).Groups.RemoveFromGroupAsync(client.ConnectionId, group);
        await Hub(Sender).Clients.Group(group).SendAsync("note", marker, new Note("after", 11));

        await FenceAsync(client);
        Assert.Equal(["before"], Notes(client).Select(n => n.GetProperty("text").GetString()));
    }

    protected HubApp NodeFor(Placement placement) => placement == Placement.OtherNode ? nodes.B : nodes.A;

    protected static IHubContext<SyncHub> Hub(HubApp node) => node.Services.GetRequiredService<IHubContext<SyncHub>>();

    /// <summary>A token subject unique to this test, so a user send from another test cannot reach it.</summary>
    protected string User(string name) => $"{name}-{marker}";

    protected string Group(string name) => $"demo/test/{name}-{marker}";

    protected async Task<RawHubClient> ConnectAsync(HubApp node, string? subject = null)
    {
        var token = node.Services.GetRequiredService<TokenIssuer>().Issue("demo", subject ?? User("viewer"), ["viewer"], TimeSpan.FromMinutes(10));
        var client = await RawHubClient.ConnectAsync(node.Address, token);
        clients.Add(client);

        // The handshake answer comes before the server has registered the connection with the lifetime
        // manager; the first hub call is dispatched after. Once it returns, sends reach the connection.
        await client.InvokeAsync("Unsubscribe", "demo/entities/nothing");
        return client;
    }

    /// <summary>Waits for this test's note with that text and checks it arrived exactly as a local client would get it.</summary>
    protected async Task AssertNoteAsync(RawHubClient client, string text, int count)
    {
        var note = await client.WaitForAsync("note", i => IsMine(i) && i.Arguments[1].GetProperty("text").GetString() == text);
        Assert.Equal(2, note.Arguments.Count);
        Assert.Equal($$"""{"text":"{{text}}","count":{{count}},"tags":["a","b"],"missing":null}""", note.Arguments[1].GetRawText());
    }

    /// <summary>After a fence from the sending node, the client has none of this test's notes.</summary>
    protected async Task AssertNoNoteAsync(RawHubClient client)
    {
        await FenceAsync(client);
        Assert.True(Notes(client).Count == 0, $"connection {client.ConnectionId} should have received nothing.\n{client.Transcript()}");
    }

    /// <summary>
    /// Sends a fence from node A to all and waits for it at the client. Everything A sent to the client
    /// before has then arrived: the fence takes the path of the sends it follows (the official backplane
    /// sends group and user messages through Redis even to connections on the sending node, and a direct
    /// send to a local connection would overtake them), Redis keeps the order of A's publishes, and the
    /// in-process manager writes in call order.
    /// </summary>
    protected async Task FenceAsync(RawHubClient client)
    {
        var fence = $"{marker}-{Interlocked.Increment(ref fences)}";
        await Hub(Sender).Clients.All.SendAsync("fence", fence);
        await client.WaitForAsync("fence", i => i.Arguments[0].GetString() == fence);
    }

    protected List<JsonElement> Notes(RawHubClient client) =>
        [.. client.Invocations.Where(i => i.Target == "note" && IsMine(i)).Select(i => i.Arguments[1])];

    private bool IsMine(HubInvocation invocation) => invocation.Arguments.Count > 0 && invocation.Arguments[0].GetString() == marker;

    /// <summary>PascalCase in C#, a list and a null: the payload must come out camelCased and complete on every node.</summary>
    protected sealed record Note(string Text, int Count)
    {
        public string[] Tags { get; } = ["a", "b"];

        public string? Missing { get; }
    }
}
