using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Testing;
using StackExchange.Redis;
using StreamPosition = RealtimeSync.Shared.Realtime.StreamPosition;

namespace RealtimeSync.Hub.Tests.Realtime.History;

/// <summary>One behaviour suite for the channel history, run on the in-process and the Redis implementation.</summary>
public abstract class ChannelHistorySuite : IAsyncLifetime
{
    private readonly List<HubApp> apps = [];

    protected readonly string Prefix = $"t{Guid.NewGuid():N}"[..12];

    protected abstract Dictionary<string, string?> Settings();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }
    }

    protected HubApp Node(Dictionary<string, string?>? extra = null)
    {
        var settings = Settings();
        settings["Redis:ChannelPrefix"] = Prefix;
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        var app = new HubApp(settings);
        apps.Add(app);
        _ = app.Services;
        return app;
    }

    protected static ChannelPublisher Publisher(HubApp app) => app.Services.GetRequiredService<ChannelPublisher>();

    protected static IChannelHistory History(HubApp app) => app.Services.GetRequiredService<IChannelHistory>();

    protected static Task<Publication?> Publish(HubApp app, string channel, int n, long? seq = null) =>
        Publisher(app).PublishAsync(channel, "entity.changed", new { n }, seq is { } s ? new ChangeSource("log-1", s) : null);

    protected static int N(Publication p) => p.Data.GetProperty("n").GetInt32();

    /// <summary>Collects what an in-process listener on <paramref name="app"/> receives.</summary>
    protected static List<Publication> Listen(HubApp app, string channel)
    {
        var received = new List<Publication>();
        Publisher(app).Listen(channel, p =>
        {
            lock (received)
            {
                received.Add(p);
            }

            return Task.CompletedTask;
        });
        return received;
    }


    [Fact]
    public async Task Offsets_are_gap_free_in_one_epoch_and_recovery_returns_what_was_missed_in_order()
    {
        var app = Node();
        var channel = "demo/entities/team";
        var first = (await Publish(app, channel, 1))!;
        for (var i = 2; i <= 10; i++)
        {
            await Publish(app, channel, i);
        }

        var since = new StreamPosition(first.Epoch, 3);
        var result = await History(app).ReadSinceAsync(channel, since);

        Assert.True(result.Recovered);
        Assert.False(result.ResyncRequired);
        Assert.Equal(10, result.Offset);
        Assert.Equal([4, 5, 6, 7, 8, 9, 10], result.Publications.Select(p => p.Offset));
        Assert.Equal([4, 5, 6, 7, 8, 9, 10], result.Publications.Select(N));
        Assert.All(result.Publications, p => Assert.Equal(first.Epoch, p.Epoch));
    }

    [Fact]
    public async Task A_position_outside_the_window_or_of_another_epoch_requires_a_resync()
    {
        var app = Node(new() { ["Realtime:History:MaxCount"] = "5" });
        var channel = "demo/entities/services";
        var first = (await Publish(app, channel, 1))!;
        for (var i = 2; i <= 12; i++)
        {
            await Publish(app, channel, i);
        }

        Assert.True((await History(app).ReadSinceAsync(channel, new StreamPosition(first.Epoch, 2))).ResyncRequired);
        Assert.True((await History(app).ReadSinceAsync(channel, new StreamPosition("someotherepoch", 11))).ResyncRequired);
        Assert.True((await History(app).ReadSinceAsync(channel, new StreamPosition(first.Epoch, 99))).ResyncRequired);
        var inside = await History(app).ReadSinceAsync(channel, new StreamPosition(first.Epoch, 8));
        Assert.Equal([9, 10, 11, 12], inside.Publications.Select(p => p.Offset));
    }

    [Fact]
    public async Task A_change_sequence_is_published_once()
    {
        var app = Node();
        var channel = "demo/entities/solutions";

        Assert.NotNull(await Publish(app, channel, 1, seq: 41));
        Assert.Null(await Publish(app, channel, 1, seq: 41));
        Assert.Null(await Publish(app, channel, 0, seq: 40));
        Assert.NotNull(await Publish(app, channel, 2, seq: 42));

        // Another change log (a reset or restored database starts its sequences again) is never mistaken for this one.
        Assert.NotNull(await Publisher(app).PublishAsync(channel, "entity.changed", new { n = 3 }, new ChangeSource("log-2", 1)));

        var all = await History(app).ReadSinceAsync(channel, new StreamPosition((await History(app).ReadSinceAsync(channel, null)).Epoch, 0));
        Assert.Equal([1, 2, 3], all.Publications.Select(N));
    }

    [Fact]
    public async Task A_channel_nobody_published_to_answers_position_zero()
    {
        var app = Node();
        var result = await History(app).ReadSinceAsync("demo/presence/nothing-here", null);

        Assert.Equal(0, result.Offset);
        Assert.False(result.ResyncRequired);
    }
}

public sealed class InMemoryChannelHistoryTests : ChannelHistorySuite
{
    protected override Dictionary<string, string?> Settings() => [];

    [Fact]
    public void The_embedded_default_is_in_memory() => Assert.IsType<InMemoryChannelHistory>(History(Node()));
}

public sealed class RedisChannelHistoryTests : ChannelHistorySuite
{
    protected override Dictionary<string, string?> Settings() => new() { ["Redis:Configuration"] = TestServers.Redis };

    [Fact]
    public void With_redis_configured_the_history_is_in_redis() => Assert.IsType<RedisChannelHistory>(History(Node()));

    [Fact]
    public async Task Any_node_serves_recovery_and_every_node_delivers_in_order()
    {
        var a = Node(new() { ["Node:Id"] = "node-a" });
        var b = Node(new() { ["Node:Id"] = "node-b" });
        var channel = "demo/entities/team";
        var onA = Listen(a, channel);
        var onB = Listen(b, channel);

        var first = (await Publish(a, channel, 1))!;
        for (var i = 2; i <= 30; i++)
        {
            await Publish(i % 2 == 0 ? b : a, channel, i);
        }

        await Eventually.HoldsAsync(() => onA.Count == 30 && onB.Count == 30, "30 publications on both nodes", 10);
        Assert.Equal(Enumerable.Range(1, 30), onA.Select(p => (int)p.Offset));
        Assert.Equal(Enumerable.Range(1, 30), onB.Select(p => (int)p.Offset));
        Assert.Equal(Enumerable.Range(1, 30), onB.Select(N));
        var fromB = await History(b).ReadSinceAsync(channel, new StreamPosition(first.Epoch, 25));
        Assert.Equal([26, 27, 28, 29, 30], fromB.Publications.Select(p => p.Offset));
    }

    [Fact]
    public async Task A_flushed_redis_starts_a_new_epoch_and_old_positions_resync()
    {
        var app = Node();
        var channel = "demo/entities/team";
        var before = (await Publish(app, channel, 1))!;
        await Publish(app, channel, 2);

        var server = ConnectionMultiplexer.Connect(TestServers.Redis + ",allowAdmin=true");
        await server.GetDatabase().KeyDeleteAsync([$"{Prefix}:h:{channel}:m", $"{Prefix}:h:{channel}:l"]);
        var after = (await Publish(app, channel, 3))!;

        Assert.NotEqual(before.Epoch, after.Epoch);
        Assert.Equal(1, after.Offset);
        Assert.True((await History(app).ReadSinceAsync(channel, new StreamPosition(before.Epoch, 2))).ResyncRequired);
        server.Dispose();
    }
}
