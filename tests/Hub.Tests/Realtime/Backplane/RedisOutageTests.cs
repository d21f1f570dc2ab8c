using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Realtime.Backplane;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.Backplane;

/// <summary>
/// Two nodes on a Redis of this test's own (a redis-server process on a free port), which the test kills
/// and starts again on the same port.
/// </summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly int port = TestServers.FreePort();
    private readonly string directory = Path.Combine(Path.GetTempPath(), "rs-tests", "redis-" + Guid.NewGuid().ToString("N"));
    private readonly string marker = Guid.NewGuid().ToString("N")[..8];
    private readonly List<HubApp> apps = [];
    private readonly List<RawHubClient> clients = [];
    private Process? redis;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }

        await StopRedisAsync();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans the temp folder
        }
    }

    [Fact]
    public async Task While_Redis_is_down_sends_are_lost_without_failing_the_sender_and_cross_node_delivery_resumes_when_Redis_returns()
    {
        await StartRedisAsync();
        var settings = RedisNodes.RedisSettings($"127.0.0.1:{port}", $"rs-outage-{marker}");
        var a = StartNode(settings);
        var b = StartNode(settings);
        await BackplaneNodes.WaitUntilReadyAsync(a);
        await BackplaneNodes.WaitUntilReadyAsync(b);
        var ada = $"ada-{marker}";
        var local = await ConnectAsync(a, ada);
        var remote = await ConnectAsync(b, $"grace-{marker}");
        var group = $"demo/test/outage-{marker}";
        var channel = $"demo/entities/outage{marker}";
        await local.InvokeAsync("Subscribe", channel, null);
        await Hub(a).Groups.AddToGroupAsync(local.ConnectionId, group);
        await Hub(a).Groups.AddToGroupAsync(remote.ConnectionId, group);
        await Hub(a).Clients.Group(group).SendAsync("note", "before");
        await remote.WaitForAsync("note", Text("before"));

        await StopRedisAsync();
        var status = a.Services.GetRequiredService<BackplaneStatus>();
        await Eventually(() => status.State == BackplaneState.Down, "node A notices that Redis is gone");
        var errors = status.PublishErrors;

        // The official backplane is at most once: these are lost (even for A's own client), but none throws.
        await Hub(a).Clients.All.SendAsync("note", "down: all");
        await Hub(a).Clients.Group(group).SendAsync("note", "down: group");
        await Hub(a).Clients.User(ada).SendAsync("note", "down: user");
        await Hub(a).Clients.Client(remote.ConnectionId).SendAsync("note", "down: remote connection");
        await Eventually(() => status.PublishErrors >= errors + 4, "the lost sends are counted");

        // What does not need Redis still works: a send to a connection of this node, and channel publications.
        await Hub(a).Clients.Client(local.ConnectionId).SendAsync("note", "down: local connection");
        await local.WaitForAsync("note", Text("down: local connection"));
        await a.Services.GetRequiredService<ChannelPublisher>().PublishAsync(channel, "entity.changed", new { n = 1 });
        await local.WaitForAsync(SyncHub.PublicationMethod, i => i.Arguments[0].GetProperty("channel").GetString() == channel);

        await StartRedisAsync();
        var watch = Stopwatch.StartNew();

        // Both directions, through the group channels the nodes subscribed to before the outage: StackExchange.Redis
        // 2.x restores its subscriptions by itself (1.2.6 needed the product to re-subscribe and probe).
        await RepeatUntilReceivedAsync(a, group, remote, "a to b");
        await RepeatUntilReceivedAsync(b, group, local, "b to a");
        Assert.True(watch.Elapsed < Bound, $"cross-node delivery took {watch.Elapsed.TotalSeconds:0.0} s to resume");
        await Eventually(() => status.State == BackplaneState.Connected, "node A reports the backplane connected again");
        Assert.DoesNotContain(remote.Invocations, i => i.Target == "note" && i.Arguments[0].GetString()!.StartsWith("down:", StringComparison.Ordinal));
        Assert.DoesNotContain(local.Invocations, i => i.Target == "note" && i.Arguments[0].GetString() is "down: all" or "down: group" or "down: user");
    }

    [Fact]
    public async Task A_client_that_connects_while_Redis_is_down_is_served_and_registered_with_the_backplane_when_Redis_returns()
    {
        await StartRedisAsync();
        var settings = RedisNodes.RedisSettings($"127.0.0.1:{port}", $"rs-outage-{marker}");
        var a = StartNode(settings);
        var b = StartNode(settings);
        await BackplaneNodes.WaitUntilReadyAsync(a);
        await BackplaneNodes.WaitUntilReadyAsync(b);
        var status = a.Services.GetRequiredService<BackplaneStatus>();

        await StopRedisAsync();
        await Eventually(() => status.State == BackplaneState.Down, "node A notices that Redis is gone");

        // Accepted (the package alone would fail this connect: dotnet/aspnetcore#21539), subscribes, and gets
        // this node's own publications.
        var late = await ConnectAsync(a, $"late-{marker}");
        var channel = $"demo/entities/late{marker}";
        var subscribed = await late.InvokeAsync("Subscribe", channel, null);
        Assert.False(subscribed.GetProperty("resyncRequired").GetBoolean());
        await a.Services.GetRequiredService<ChannelPublisher>().PublishAsync(channel, "entity.changed", new { n = 1 });
        await late.WaitForAsync(SyncHub.PublicationMethod, i => i.Arguments[0].GetProperty("channel").GetString() == channel);
        var group = $"demo/test/late-{marker}";
        await Hub(a).Groups.AddToGroupAsync(late.ConnectionId, group); // kept until the registration
        Assert.True(a.Services.GetRequiredService<NodeHubLifetimeManager<SyncHub>>().Unregistered >= 1);

        await StartRedisAsync();
        await Eventually(() => status.State == BackplaneState.Connected, "node A registered the connection with the backplane");
        var other = b.Services.GetRequiredService<BackplaneStatus>();
        await Eventually(() => other.State == BackplaneState.Connected, "node B is connected again (a send made before would be lost)");

        // Sends from the other node reach it: to the connection, and to the group it joined while Redis was down.
        await Hub(b).Clients.Client(late.ConnectionId).SendAsync("note", "from b to the connection");
        await late.WaitForAsync("note", Text("from b to the connection"));
        await Hub(b).Clients.Group(group).SendAsync("note", "from b to the group");
        await late.WaitForAsync("note", Text("from b to the group"));
        await Hub(b).Groups.RemoveFromGroupAsync(late.ConnectionId, group);
    }

    private static IHubContext<SyncHub> Hub(HubApp node) => node.Services.GetRequiredService<IHubContext<SyncHub>>();

    private static Func<HubInvocation, bool> Text(string text) => i => i.Arguments[0].GetString() == text;

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < Bound, $"not within {Bound.TotalSeconds} s: {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>Sends a numbered group note every 250 ms until the client got one (messages sent while re-subscribing may be lost).</summary>
    private static async Task RepeatUntilReceivedAsync(HubApp sender, string group, RawHubClient client, string label)
    {
        var watch = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            await Hub(sender).Clients.Group(group).SendAsync("note", $"{label} {attempt}");
            try
            {
                await client.WaitForAsync("note", i => i.Arguments[0].GetString()!.StartsWith(label, StringComparison.Ordinal), TimeSpan.FromMilliseconds(250));
                return;
            }
            catch (TimeoutException) when (watch.Elapsed < Bound)
            {
            }
        }
    }

    private HubApp StartNode(Dictionary<string, string?> settings)
    {
        // These tests are about outages, not about how fast an ack comes, so the ack bound is 10 s, twice the
        // product's default. Cross-node group changes before the outage did miss shorter bounds: 2 s in a full run
        // while the previous test's nodes shut down; 5 s once in CI, before lost group commands were published
        // again (GroupCommandRetryTests); and 5 s in 2 of 4 runs with two busy-loop processes beside this class,
        // with those repeats in place (cause not found; 0 of 14 such runs failed since, with logging on).
        settings["Redis:Backplane:AckTimeoutMs"] = "10000";
        var app = new HubApp(settings, realServer: true);
        apps.Add(app);
        return app;
    }

    private async Task<RawHubClient> ConnectAsync(HubApp node, string subject)
    {
        var token = node.Services.GetRequiredService<TokenIssuer>().Issue("demo", subject, ["viewer"], TimeSpan.FromMinutes(10));
        var client = await RawHubClient.ConnectAsync(node.Address, token);
        clients.Add(client);
        await client.InvokeAsync("Unsubscribe", "demo/entities/nothing"); // the server has registered the connection
        return client;
    }

    private async Task StartRedisAsync()
    {
        Directory.CreateDirectory(directory);
        var info = new ProcessStartInfo(TestServers.RedisServerBinary) { UseShellExecute = false };
        foreach (var argument in new[] { "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--dir", directory, "--logfile", Path.Combine(directory, "redis.log") })
        {
            info.ArgumentList.Add(argument);
        }

        redis = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        var watch = Stopwatch.StartNew();
        while (!await PingsAsync())
        {
            if (redis.HasExited || watch.Elapsed > Bound)
            {
                var log = Path.Combine(directory, "redis.log");
                throw new InvalidOperationException($"redis-server on port {port} did not answer: {(File.Exists(log) ? await File.ReadAllTextAsync(log) : "no log")}");
            }

            await Task.Delay(50);
        }
    }

    private async Task StopRedisAsync()
    {
        if (redis is null)
        {
            return;
        }

        if (!redis.HasExited)
        {
            redis.Kill();
            await redis.WaitForExitAsync();
        }

        redis.Dispose();
        redis = null;
    }

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var tcp = new TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await tcp.ConnectAsync("127.0.0.1", port, cts.Token);
            var stream = tcp.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, cts.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
