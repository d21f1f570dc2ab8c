using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.History;

/// <summary>
/// The cross-node fan-out hands a node the publications in the order Redis sent them. StackExchange.Redis
/// 2.x runs a handler-style subscription's messages as separate thread-pool work items, which can swap two
/// of them; every swap made the node read the channel's history from Redis to fill the "gap" (in the one
/// consumer loop, delaying everything behind it). A burst must come through with no such read.
/// </summary>
public sealed class FanOutOrderTests : IAsyncLifetime
{
    private const string Channel = "demo/entities/team";
    private readonly string prefix = $"fo{Guid.NewGuid():N}"[..12];
    private readonly List<HubApp> apps = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }
    }

    private HubApp Node(string id)
    {
        var app = new HubApp(new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = TestServers.Redis,
            ["Redis:ChannelPrefix"] = prefix,
            ["Node:Id"] = id,
        });
        apps.Add(app);
        _ = app.Services;
        return app;
    }

    [Fact]
    public async Task A_burst_published_on_one_node_reaches_the_other_in_order_without_catch_up_reads()
    {
        const int Count = 2_000;
        var a = Node("a");
        var b = Node("b");
        var received = new List<long>();
        b.Services.GetRequiredService<ChannelPublisher>().Listen(Channel, p =>
        {
            lock (received)
            {
                received.Add(p.Offset);
            }

            return Task.CompletedTask;
        });

        // Position both nodes on the channel first (the first publication gives it its epoch).
        var publisher = a.Services.GetRequiredService<ChannelPublisher>();
        var first = await publisher.PublishAsync(Channel, "entity.changed", new { n = 0 });
        await Eventually.HoldsAsync(() => ReceivedCount(received) == 1, "the first publication on node b", 30);
        var history = b.Services.GetRequiredService<RedisChannelHistory>();
        var readsBefore = history.CatchUpReads;

        // Many in flight at once (the channel's gate orders them) while the thread pool has other work,
        // as on a loaded node.
        using var busy = new CancellationTokenSource();
        var noise = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(() =>
        {
            while (!busy.IsCancellationRequested)
            {
                Thread.SpinWait(2_000);
                Thread.Yield();
            }
        })).ToList();
        await Task.WhenAll(Enumerable.Range(1, Count).Select(n => publisher.PublishAsync(Channel, "entity.changed", new { n })));
        await Eventually.HoldsAsync(() => ReceivedCount(received) == Count + 1, $"{Count} more publications on node b", 30);
        await busy.CancelAsync();
        await Task.WhenAll(noise);

        lock (received)
        {
            Assert.Equal(Enumerable.Range(0, Count + 1).Select(i => first!.Offset + i), received);
        }

        Assert.Equal(readsBefore, history.CatchUpReads);
    }

    private static int ReceivedCount(List<long> received)
    {
        lock (received)
        {
            return received.Count;
        }
    }

}
