using StackExchange.Redis;

namespace RealtimeSync.Hub.Realtime.Backplane.Internal;

/// <summary>
/// The Redis channels this node listens on, reference-counted (a group channel while the node has a member,
/// a user channel while that user has a connection here). SUBSCRIBE/UNSUBSCRIBE are issued under one lock:
/// StackExchange.Redis queues commands in call order, so the last call for a channel is the one Redis ends
/// up with, however joins and leaves interleave. Nothing is awaited under the lock.
/// </summary>
/// <remarks>
/// StackExchange.Redis 1.2.6 restores subscriptions after Redis restarts only sometimes: in repeated
/// kill/restart runs it re-subscribed within ~1.5 s in some, and in others PUBLISH kept reaching 0
/// subscribers although the client still listed them. A SUBSCRIBE issued while disconnected completes
/// without reaching Redis. So after every reconnect the manager calls <see cref="ResubscribeAllAsync"/>
/// and proves the result with a probe.
/// </remarks>
internal sealed class RedisSubscriptions(Action<RedisChannel, RedisValue> handler, Action<string, Exception> onFailure)
{
    /// <summary>1.2.6 has no timeout on async commands; a hung Redis must not hang a hub method that joins a group.</summary>
    private static readonly TimeSpan SubscribeTimeout = TimeSpan.FromSeconds(2);

    private readonly object gate = new();
    private readonly Dictionary<string, Entry> channels = new(StringComparer.Ordinal);
    private ISubscriber? subscriber;

    /// <summary>From now on calls go to Redis; channels added before are subscribed by the next <see cref="ResubscribeAllAsync"/>.</summary>
    public void Attach(ISubscriber redis)
    {
        lock (gate)
        {
            subscriber = redis;
        }
    }

    public void Detach()
    {
        lock (gate)
        {
            subscriber = null;
        }
    }

    /// <summary>Completes when Redis confirmed the subscription (or it failed, which is reported and repaired later).</summary>
    public Task AddAsync(string channel)
    {
        Task pending;
        lock (gate)
        {
            if (!channels.TryGetValue(channel, out var entry))
            {
                channels[channel] = entry = new Entry();
            }

            if (entry.Count++ == 0)
            {
                entry.Subscribed = Subscribe(channel);
            }

            // A second member of a group waits for the first one's SUBSCRIBE too: when AddToGroupAsync
            // returns, sends from other nodes must reach the connection.
            pending = entry.Subscribed;
        }

        return ConfirmAsync(channel, pending);
    }

    public void Remove(string channel)
    {
        lock (gate)
        {
            if (!channels.TryGetValue(channel, out var entry) || --entry.Count > 0)
            {
                return;
            }

            channels.Remove(channel);
            if (subscriber is { } redis)
            {
                Observe(channel, Call(() => redis.UnsubscribeAsync(BackplaneChannels.Literal(channel), handler)));
            }
        }
    }

    /// <summary>UNSUBSCRIBE + SUBSCRIBE every channel; true when Redis confirmed them all.</summary>
    public async Task<bool> ResubscribeAllAsync()
    {
        var pending = new List<Task>();
        lock (gate)
        {
            if (subscriber is not { } redis)
            {
                return false;
            }

            foreach (var (channel, entry) in channels)
            {
                // Unsubscribing first drops the client's stale bookkeeping; otherwise it thinks it is
                // subscribed and sends nothing.
                var literal = BackplaneChannels.Literal(channel);
                Observe(channel, Call(() => redis.UnsubscribeAsync(literal, handler)));
                entry.Subscribed = Call(() => redis.SubscribeAsync(literal, handler));
                pending.Add(entry.Subscribed);
            }
        }

        try
        {
            await Task.WhenAll(pending).WaitAsync(SubscribeTimeout * 2);
            return true;
        }
        catch (Exception e)
        {
            onFailure("*", e);
            return false;
        }
    }

    private Task Subscribe(string channel) =>
        subscriber is { } redis ? Call(() => redis.SubscribeAsync(BackplaneChannels.Literal(channel), handler)) : Task.CompletedTask;

    private async Task ConfirmAsync(string channel, Task pending)
    {
        try
        {
            await pending.WaitAsync(SubscribeTimeout);
        }
        catch (Exception e)
        {
            onFailure(channel, e);
        }
    }

    private void Observe(string channel, Task task) =>
        task.ContinueWith(t => onFailure(channel, t.Exception!.GetBaseException()), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private static Task Call(Func<Task> command)
    {
        try
        {
            return command();
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    private sealed class Entry
    {
        public int Count;
        public Task Subscribed = Task.CompletedTask;
    }
}
