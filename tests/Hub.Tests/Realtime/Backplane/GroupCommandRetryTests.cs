using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging.Abstractions;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Realtime.Backplane;
using RealtimeSync.Testing;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Tests.Realtime.Backplane;

/// <summary>
/// A group change for a connection of another node, when Redis loses the command or its ack. Redis pub/sub is
/// at most once: a command published while the owning node re-subscribes (a reconnect, or its start-up) reaches
/// nobody, and the official backplane then waits for an ack that never comes. The inner manager here loses the
/// first commands the same way (a task that never completes); the node manager runs on the test Redis.
/// </summary>
public sealed class GroupCommandRetryTests : IAsyncLifetime
{
    // Two commands: the first, and after one second without an ack, the last one, which waits out the rest.
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(2.5);

    private IConnectionMultiplexer? redis;

    public async Task InitializeAsync() => redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);

    public async Task DisposeAsync()
    {
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_lost_group_command_is_published_again_and_the_change_succeeds_within_the_ack_timeout(bool add)
    {
        var inner = new LossyLifetimeManager(lose: 1);
        using var manager = new NodeHubLifetimeManager<SyncHub>(inner, redis, new BackplaneStatus(TimeProvider.System), AckTimeout, NullLogger.Instance);
        var watch = Stopwatch.StartNew();

        await (add ? manager.AddToGroupAsync("on-another-node", "demo/g") : manager.RemoveFromGroupAsync("on-another-node", "demo/g"));

        Assert.True(watch.Elapsed < AckTimeout, $"took {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal([(add, "on-another-node", "demo/g"), (add, "on-another-node", "demo/g")], inner.Commands);
    }

    [Fact]
    public async Task When_every_command_is_lost_the_change_fails_at_the_ack_timeout_after_publishing_it_once_a_second()
    {
        var inner = new LossyLifetimeManager(lose: int.MaxValue);
        using var manager = new NodeHubLifetimeManager<SyncHub>(inner, redis, new BackplaneStatus(TimeProvider.System), AckTimeout, NullLogger.Instance);
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => manager.AddToGroupAsync("nowhere", "demo/g"));

        Assert.Contains("nowhere is not connected to any node", error.Message);
        Assert.InRange(watch.Elapsed, AckTimeout - TimeSpan.FromMilliseconds(100), AckTimeout + TimeSpan.FromSeconds(2));
        Assert.Equal(2, inner.Commands.Count);
    }

    [Fact]
    public async Task A_group_command_whose_publish_fails_with_the_socket_reset_is_refused_as_Redis_unreachable()
    {
        // The exception a publish can end with when Redis goes away mid-write (see RedisFailureTests).
        var inner = new LossyLifetimeManager(lose: 0, fail: new Pipelines.Sockets.Unofficial.ConnectionResetException("Connection reset by peer"));
        using var manager = new NodeHubLifetimeManager<SyncHub>(inner, redis, new BackplaneStatus(TimeProvider.System), AckTimeout, NullLogger.Instance);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => manager.AddToGroupAsync("elsewhere", "demo/g"));

        Assert.Contains("Redis is unreachable", error.Message);
        Assert.IsType<Pipelines.Sockets.Unofficial.ConnectionResetException>(error.InnerException);
    }

    /// <summary>
    /// SignalR's in-process manager whose first <c>lose</c> group commands for unknown connections are never
    /// acknowledged, or whose group commands fail with <c>fail</c> when it is given.
    /// </summary>
    private sealed class LossyLifetimeManager(int lose, Exception? fail = null) : DefaultHubLifetimeManager<SyncHub>(NullLogger<DefaultHubLifetimeManager<SyncHub>>.Instance)
    {
        private int published;

        public List<(bool Add, string ConnectionId, string Group)> Commands { get; } = [];

        public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
            Publish(add: true, connectionId, groupName);

        public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
            Publish(add: false, connectionId, groupName);

        private Task Publish(bool add, string connectionId, string group)
        {
            lock (Commands)
            {
                Commands.Add((add, connectionId, group));
            }

            return fail is not null ? Task.FromException(fail)
                : Interlocked.Increment(ref published) <= lose ? new TaskCompletionSource().Task : Task.CompletedTask;
        }
    }
}
