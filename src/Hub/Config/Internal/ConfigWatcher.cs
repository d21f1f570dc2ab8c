using RealtimeSync.Hub.Infrastructure.Redis;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Config.Internal;

/// <summary>
/// Applies changes made on other nodes: a pub/sub notification triggers a reload at once, and the version is
/// polled every <c>Config:PollIntervalMs</c> as a safety net (a notification sent while this node was cut
/// off from Redis is lost). StackExchange.Redis restores the subscription itself after a reconnect.
/// </summary>
internal sealed class ConfigWatcher(ConfigStore store, IConfiguration configuration, ILogger<ConfigWatcher> log) : BackgroundService
{
    private readonly SemaphoreSlim signal = new(0, int.MaxValue);

    public override async Task StartAsync(CancellationToken ct)
    {
        // The first load happens before any request is served, so nobody reads values the store would override.
        await store.InitializeAsync();
        ConfigLog.Started(log, store.Mode, store.FilesFolder);
        await base.StartAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store.Mode != ConfigStore.RedisFirst)
        {
            return;
        }

        var subscribed = await SubscribeAsync();
        while (!stoppingToken.IsCancellationRequested)
        {
            var interval = TimeSpan.FromMilliseconds(Math.Clamp(configuration.GetValue<int?>("Config:PollIntervalMs") ?? 500, 50, 60_000));
            try
            {
                await signal.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var answered = await store.RefreshAsync();
            if (answered && !subscribed)
            {
                subscribed = await SubscribeAsync();
            }
        }
    }

    private async Task<bool> SubscribeAsync()
    {
        try
        {
            var subscriber = store.Redis.Multiplexer.GetSubscriber();
            var channel = RedisChannel.Literal(store.Redis.ChangedChannel);
            await subscriber.SubscribeAsync(channel, OnChanged).WaitAsync(ConfigRedis.Timeout);
            return true;
        }
        catch (Exception e) when (RedisFailure.IsOutage(e))
        {
            ConfigLog.SubscribeFailed(log, e);
            return false;
        }
    }

    private void OnChanged(RedisChannel channel, RedisValue version) => signal.Release();
}
