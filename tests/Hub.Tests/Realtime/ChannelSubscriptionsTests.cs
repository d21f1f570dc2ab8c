using RealtimeSync.Hub.Realtime;

namespace RealtimeSync.Hub.Tests.Realtime;

/// <summary>
/// The subscriber registry the channel fan-out reads on every publication: it hands out one snapshot per
/// change (not a copy per delivery), and a snapshot already handed to a delivery never changes under it.
/// </summary>
public sealed class ChannelSubscriptionsTests
{
    private const string Team = "demo/entities/team";
    private const string Docs = "demo/documents";

    [Fact]
    public void A_delivery_gets_a_snapshot_that_later_subscribes_and_unsubscribes_do_not_change()
    {
        var registry = new ChannelSubscriptions();
        registry.Add("a", Team);
        registry.Add("b", Team);

        var first = registry.Subscribers(Team);
        Assert.Same(first, registry.Subscribers(Team)); // no change, no copy
        Assert.Equal(["a", "b"], first.Order());

        registry.Add("c", Team);
        registry.Remove("a", Team);
        Assert.Equal(["a", "b"], first.Order()); // what a running delivery holds stays as it was
        Assert.Equal(["b", "c"], registry.Subscribers(Team).Order());

        registry.Add("b", Team); // already subscribed: nothing changes
        Assert.Equal(2, registry.SubscriptionCount);
    }

    [Fact]
    public void The_last_unsubscribe_drops_the_channel_and_a_new_subscriber_brings_it_back()
    {
        var registry = new ChannelSubscriptions();
        registry.Add("a", Team);
        registry.Add("a", Docs);
        Assert.Equal(2, registry.CountFor("a"));
        Assert.True(registry.IsSubscribed("a", Docs));

        registry.Remove("a", Team);
        Assert.Empty(registry.Subscribers(Team));
        Assert.DoesNotContain(Team, registry.Channels);
        Assert.False(registry.IsSubscribed("a", Team));
        Assert.Equal(1, registry.CountFor("a"));

        registry.Add("b", Team);
        Assert.Equal(["b"], registry.Subscribers(Team));

        registry.Connected();
        registry.Disconnected("a");
        Assert.Empty(registry.Subscribers(Docs));
        Assert.Equal(0, registry.CountFor("a"));
        Assert.Equal(1, registry.SubscriptionCount);
    }

    [Fact]
    public async Task Concurrent_subscribes_unsubscribes_and_deliveries_leave_exactly_the_remaining_subscribers()
    {
        var registry = new ChannelSubscriptions();
        using var stop = new CancellationTokenSource();
        var reads = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var snapshot = registry.Subscribers(Team);
                Assert.Equal(snapshot.Count, snapshot.Distinct().Count());
            }
        });

        await Parallel.ForAsync(0, 2_000, async (i, _) =>
        {
            var id = $"c{i}";
            registry.Add(id, Team);
            await Task.Yield();
            if (i % 2 == 0)
            {
                registry.Remove(id, Team);
            }
        });

        await stop.CancelAsync();
        await reads;
        var expected = Enumerable.Range(0, 2_000).Where(i => i % 2 == 1).Select(i => $"c{i}").Order();
        Assert.Equal(expected, registry.Subscribers(Team).Order());
        Assert.Equal(1_000, registry.SubscriptionCount);
    }
}
