using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Tests.Realtime.MultiNode;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.History;

/// <summary>Two nodes on a private Redis that the test stops and restarts.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private readonly List<HubApp> apps = [];
    private PrivateRedis redis = null!;

    public async Task InitializeAsync() => redis = await PrivateRedis.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }

        await redis.DisposeAsync();
    }

    private void StopRedis() => redis.Stop();

    private Task StartRedisAsync(bool keepData = true) => redis.StartAgainAsync(keepData);

    private HubApp Node(string id, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = redis.Configuration,
            ["Node:Id"] = id,
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        var app = new HubApp(settings);
        apps.Add(app);
        _ = app.Services;
        return app;
    }

    private static List<Publication> Listen(HubApp app, string channel)
    {
        var received = new List<Publication>();
        app.Services.GetRequiredService<ChannelPublisher>().Listen(channel, p =>
        {
            lock (received)
            {
                received.Add(p);
            }

            return Task.CompletedTask;
        });
        return received;
    }

    private static Task<Publication?> Publish(HubApp app, string channel, int n) =>
        app.Services.GetRequiredService<ChannelPublisher>().PublishAsync(channel, "entity.changed", new { n });


    [Fact]
    public async Task While_redis_is_down_a_node_serves_its_own_subscribers_and_the_other_node_gets_everything_in_order_afterwards()
    {
        var a = Node("node-a");
        var b = Node("node-b");
        var channel = "demo/entities/team";
        var onA = Listen(a, channel);
        var onB = Listen(b, channel);
        for (var i = 1; i <= 3; i++)
        {
            await Publish(a, channel, i);
        }

        await Eventually.HoldsAsync(() => onB.Count == 3, "the first 3 on node B", 15);

        StopRedis();
        for (var i = 4; i <= 10; i++)
        {
            await Publish(a, channel, i); // must neither throw nor block
        }

        Assert.Equal(Enumerable.Range(1, 10), onA.Select(p => (int)p.Offset)); // A's subscribers miss nothing
        Assert.Equal(3, onB.Count);

        await StartRedisAsync();
        await Eventually.HoldsAsync(() => onB.Count == 10, "node B receives the 7 publications made during the outage", 15);
        Assert.Equal(Enumerable.Range(1, 10), onB.Select(p => (int)p.Offset));
        Assert.Single(onB.Select(p => p.Epoch).Distinct());
        await Publish(a, channel, 11);
        await Eventually.HoldsAsync(() => onB.Count == 11 && onA.Count == 11, "live again on both nodes", 15);
        Assert.Equal(Enumerable.Range(1, 11), onA.Select(p => (int)p.Offset)); // no duplicates from the replay
        var recovered = await b.Services.GetRequiredService<IChannelHistory>().ReadSinceAsync(channel, new StreamPosition(onB[0].Epoch, 3));
        Assert.Equal(Enumerable.Range(4, 8), recovered.Publications.Select(p => (int)p.Offset));
    }

    [Fact]
    public async Task When_the_outage_outgrows_the_buffer_the_channel_starts_a_new_epoch_and_subscribers_resync()
    {
        var a = Node("node-a", new() { ["Realtime:Outage:MaxBuffered"] = "3" });
        var b = Node("node-b");
        var channel = "demo/entities/services";
        var onB = Listen(b, channel);
        var first = (await Publish(a, channel, 1))!;
        await Eventually.HoldsAsync(() => onB.Count == 1, "the first publication on node B", 15);

        StopRedis();
        for (var i = 2; i <= 10; i++)
        {
            await Publish(a, channel, i);
        }

        await StartRedisAsync();
        await Eventually.HoldsAsync(() => onB.Count >= 4, "the buffered publications under a new epoch", 15);
        Assert.All(onB.Skip(1), p => Assert.NotEqual(first.Epoch, p.Epoch));
        var result = await b.Services.GetRequiredService<IChannelHistory>().ReadSinceAsync(channel, new StreamPosition(first.Epoch, 1));
        Assert.True(result.ResyncRequired);
    }

    [Fact]
    public async Task A_redis_that_comes_back_empty_gives_the_channel_a_new_epoch_so_nobody_trusts_old_offsets()
    {
        var a = Node("node-a");
        var b = Node("node-b");
        var channel = "demo/entities/solutions";
        var onB = Listen(b, channel);
        var first = (await Publish(a, channel, 1))!;
        await Eventually.HoldsAsync(() => onB.Count == 1, "the first publication on node B", 15);

        StopRedis();
        await Publish(a, channel, 2);
        await StartRedisAsync(keepData: false);

        await Eventually.HoldsAsync(() => onB.Count == 2, "the outage publication, replayed", 15);
        Assert.NotEqual(first.Epoch, onB[1].Epoch);
        Assert.True((await b.Services.GetRequiredService<IChannelHistory>().ReadSinceAsync(channel, new StreamPosition(first.Epoch, 1))).ResyncRequired);
    }
}
