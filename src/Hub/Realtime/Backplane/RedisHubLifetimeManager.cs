using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Redis;
using RealtimeSync.Hub.Realtime.Backplane.Internal;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Realtime.Backplane;

/// <summary>
/// Scale-out over Redis pub/sub (StackExchange.Redis 1.2.6; the official SignalR Redis package is not
/// obtainable). Every send is delivered to this node's own connections directly and published once to
/// Redis for the other nodes; a node ignores the echo of its own messages. So a node keeps serving its
/// local clients while Redis is unreachable: publishes then fail fast, are counted and logged, never
/// thrown to the sender and never queued without bound. Clients that missed a publication recover it from
/// the channel history (DESIGN.md §6).
/// </summary>
/// <remarks>
/// Channels: <c>{prefix}:all</c>, <c>{prefix}:group:{name}</c>, <c>{prefix}:conn:{id}</c>,
/// <c>{prefix}:user:{id}</c>; group membership of a connection on another node goes through
/// <c>{prefix}:internal:groups</c> and is acknowledged on <c>{prefix}:internal:ack:{node}</c>.
/// Client results (InvokeConnectionAsync) are not supported.
/// </remarks>
public sealed class RedisHubLifetimeManager<THub> : HubLifetimeManager<THub>, IAsyncDisposable, IDisposable
    where THub : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>Publishes handed to Redis and not yet answered; beyond this a hung Redis costs dropped messages, not memory.</summary>
    private const int MaxPendingPublishes = 10_000;

    /// <summary>Messages from Redis waiting for local delivery; beyond this they are dropped (clients recover from the history).</summary>
    private const int InboxCapacity = 100_000;

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HealthyTick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RecoveringTick = TimeSpan.FromMilliseconds(250);

    private readonly HubConnectionStore connections = new();
    private readonly LocalGroups groups = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> acks = new(StringComparer.Ordinal);
    private readonly Channel<(string Channel, byte[] Payload)> inbox;
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource<ISubscriber?> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RedisConnection redis;
    private readonly BackplaneStatus status;
    private readonly ILogger log;
    private readonly string nodeId;
    private readonly BackplaneChannels channels;
    private readonly RedisSubscriptions subscriptions;
    private readonly JsonSerializerOptions payloadOptions;
    private readonly TimeSpan ackTimeout;
    private readonly Task monitoring;
    private readonly Task receiving;
    private ConnectionMultiplexer? multiplexer;
    private volatile ISubscriber? subscriber;
    private volatile bool resubscribeNeeded = true;
    private volatile bool probeNeeded;
    private int pendingPublishes;
    private int publishFailing;

    public RedisHubLifetimeManager(
        RedisConnection redis,
        NodeInfo node,
        BackplaneStatus status,
        IConfiguration configuration,
        IOptions<JsonHubProtocolOptions> protocol,
        ILogger<RedisHubLifetimeManager<THub>> log)
    {
        this.redis = redis;
        this.status = status;
        this.log = log;
        nodeId = node.NodeId;
        var prefix = configuration["Redis:ChannelPrefix"] is { Length: > 0 } configured ? configured : "rs";
        channels = new BackplaneChannels(prefix, nodeId);
        payloadOptions = protocol.Value.PayloadSerializerOptions;
        ackTimeout = TimeSpan.FromMilliseconds(configuration.GetValue("Redis:Backplane:AckTimeoutMs", 5000));
        inbox = Channel.CreateBounded<(string, byte[])>(new BoundedChannelOptions(InboxCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        subscriptions = new RedisSubscriptions(OnRedisMessage, OnSubscribeFailed);

        status.Enabled = true;
        BackplaneLog.Starting(log, nodeId, prefix);

        // Nobody awaits these: the first subscribes queue up until the multiplexer exists.
        _ = subscriptions.AddAsync(channels.All);
        _ = subscriptions.AddAsync(channels.GroupCommands);
        _ = subscriptions.AddAsync(channels.Acks);
        receiving = Task.Run(ReceiveLoopAsync);
        monitoring = Task.Run(MonitorLoopAsync);
    }

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        connection.Features.Set(new BackplaneConnectionFeature());
        connections.Add(connection);
        var subscribed = subscriptions.AddAsync(channels.Connection(connection.ConnectionId));
        if (connection.UserIdentifier is { } user)
        {
            await subscriptions.AddAsync(channels.User(user));
        }

        await subscribed;
    }

    public override Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        connections.Remove(connection);
        subscriptions.Remove(channels.Connection(connection.ConnectionId));
        if (connection.UserIdentifier is { } user)
        {
            subscriptions.Remove(channels.User(user));
        }

        var feature = connection.Features.Get<BackplaneConnectionFeature>()!;
        string[] joined;
        lock (feature.Groups)
        {
            feature.Disconnected = true;
            joined = [.. feature.Groups];
            feature.Groups.Clear();
        }

        foreach (var group in joined)
        {
            groups.Remove(connection, group);
            subscriptions.Remove(channels.Group(group));
        }

        return Task.CompletedTask;
    }

    public override async Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        // Publishing only hands the message to Redis, so other nodes need not wait for slow local clients.
        await PublishAsync(channels.All, methodName, args, null);
        await WriteAsync(connections, Serialized(methodName, args), null, cancellationToken);
    }

    public override async Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default)
    {
        await PublishAsync(channels.All, methodName, args, excludedConnectionIds);
        await WriteAsync(connections, Serialized(methodName, args), excludedConnectionIds, cancellationToken);
    }

    public override async Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        if (connections[connectionId] is { } local)
        {
            // The connection lives here: nobody else needs to hear about it.
            await local.WriteAsync(Serialized(methodName, args), cancellationToken);
            return;
        }

        await PublishAsync(channels.Connection(connectionId), methodName, args, null);
    }

    public override async Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        SerializedHubMessage? message = null;
        var writes = new List<Task>();
        foreach (var id in connectionIds)
        {
            if (connections[id] is { } local)
            {
                writes.Add(local.WriteAsync(message ??= Serialized(methodName, args), cancellationToken).AsTask());
            }
            else
            {
                await PublishAsync(channels.Connection(id), methodName, args, null);
            }
        }

        await Task.WhenAll(writes);
    }

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendGroupExceptAsync(groupName, methodName, args, [], cancellationToken);

    public override async Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        // Like DefaultHubLifetimeManager: a connection in two of the groups gets the message twice.
        foreach (var group in groupNames)
        {
            await SendGroupExceptAsync(group, methodName, args, [], cancellationToken);
        }
    }

    public override async Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default)
    {
        await PublishAsync(channels.Group(groupName), methodName, args, excludedConnectionIds);
        if (groups[groupName] is { } members)
        {
            await WriteAsync(members, Serialized(methodName, args), excludedConnectionIds, cancellationToken);
        }
    }

    public override async Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        await PublishAsync(channels.User(userId), methodName, args, null);
        await WriteToUserAsync(userId, Serialized(methodName, args), cancellationToken);
    }

    public override async Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        var message = Serialized(methodName, args);
        foreach (var user in userIds)
        {
            await PublishAsync(channels.User(user), methodName, args, null);
            await WriteToUserAsync(user, message, cancellationToken);
        }
    }

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        connections[connectionId] is { } local
            ? AddLocalAsync(local, groupName)
            : SendGroupCommandAsync(GroupCommand.Add, connectionId, groupName, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        if (connections[connectionId] is { } local)
        {
            RemoveLocal(local, groupName);
            return Task.CompletedTask;
        }

        return SendGroupCommandAsync(GroupCommand.Remove, connectionId, groupName, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        inbox.Writer.TryComplete();
        await Task.WhenAll(monitoring, receiving).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Dispose();
    }

    /// <summary>Stops without waiting for the loops (they end on the cancellation).</summary>
    public void Dispose()
    {
        if (!stopping.IsCancellationRequested)
        {
            stopping.Cancel();
        }

        inbox.Writer.TryComplete();
        subscriptions.Detach();
        if (multiplexer is { } mux)
        {
            mux.ConnectionFailed -= OnConnectionFailed;
            mux.ConnectionRestored -= OnConnectionRestored;
        }

        foreach (var pending in acks.Values)
        {
            pending.TrySetCanceled();
        }
    }

    /// <summary>A publish we stop waiting for (WaitAsync timed out) may still fail later; its error must not go unobserved.</summary>
    private static Task<long> Observed(Task<long> publish)
    {
        publish.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return publish;
    }

    private static SerializedHubMessage Serialized(string methodName, object?[] args) => new(new InvocationMessage(methodName, args));

    private static async Task WriteAsync(HubConnectionStore targets, SerializedHubMessage message, IReadOnlyList<string>? excluded, CancellationToken ct)
    {
        List<Task>? pending = null;
        foreach (var connection in targets)
        {
            if (excluded is { Count: > 0 } && excluded.Contains(connection.ConnectionId))
            {
                continue;
            }

            var write = connection.WriteAsync(message, ct);
            if (!write.IsCompletedSuccessfully)
            {
                (pending ??= []).Add(write.AsTask());
            }
        }

        if (pending is not null)
        {
            await Task.WhenAll(pending);
        }
    }

    private async Task WriteToUserAsync(string userId, SerializedHubMessage message, CancellationToken ct)
    {
        List<Task>? pending = null;
        foreach (var connection in connections)
        {
            if (connection.UserIdentifier == userId)
            {
                (pending ??= []).Add(connection.WriteAsync(message, ct).AsTask());
            }
        }

        if (pending is not null)
        {
            await Task.WhenAll(pending);
        }
    }

    private async Task AddLocalAsync(HubConnectionContext connection, string group)
    {
        var feature = connection.Features.Get<BackplaneConnectionFeature>()!;
        lock (feature.Groups)
        {
            if (feature.Disconnected || !feature.Groups.Add(group))
            {
                return;
            }

            groups.Add(connection, group);
        }

        // Returns once Redis confirmed the group channel (or failed: then the monitor repairs it and the
        // connection still gets the group's messages from this node).
        await subscriptions.AddAsync(channels.Group(group));
    }

    private void RemoveLocal(HubConnectionContext connection, string group)
    {
        var feature = connection.Features.Get<BackplaneConnectionFeature>()!;
        lock (feature.Groups)
        {
            if (!feature.Groups.Remove(group))
            {
                return;
            }

            groups.Remove(connection, group);
        }

        subscriptions.Remove(channels.Group(group));
    }

    /// <summary>
    /// The connection is not on this node: ask the node that has it, and wait for its acknowledgement. No
    /// answer within the ack timeout means no node has the connection.
    /// </summary>
    private async Task SendGroupCommandAsync(string op, string connectionId, string group, CancellationToken ct)
    {
        var command = new GroupCommand(Guid.NewGuid().ToString("N"), nodeId, op, group, connectionId);
        var acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        acks[command.Id] = acknowledged;
        var what = op == GroupCommand.Add ? $"added to group '{group}'" : $"removed from group '{group}'";
        try
        {
            var redisSubscriber = await SubscriberAsync();
            try
            {
                if (redisSubscriber is null)
                {
                    throw new InvalidOperationException("The Redis connection could not be created.");
                }

                await Observed(redisSubscriber.PublishAsync(BackplaneChannels.Literal(channels.GroupCommands), BackplaneMessages.Command(command))).WaitAsync(ackTimeout, ct);
                status.CountPublished();
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                CountPublishError(channels.GroupCommands, e);
                throw new InvalidOperationException(
                    $"Connection {connectionId} is not connected to this node and Redis is unreachable, so it could not be {what}.", e);
            }

            try
            {
                await acknowledged.Task.WaitAsync(ackTimeout, ct);
            }
            catch (TimeoutException)
            {
                BackplaneLog.GroupCommandUnanswered(log, op, connectionId, group, ackTimeout.TotalMilliseconds);
                throw new InvalidOperationException(
                    $"Connection {connectionId} is not connected to any node: no node acknowledged that it was {what} within {ackTimeout.TotalMilliseconds:0} ms.");
            }
        }
        finally
        {
            acks.TryRemove(command.Id, out _);
        }
    }

    /// <summary>
    /// Hands the message to Redis without waiting for the answer (StackExchange.Redis keeps the order of
    /// the calls), so a slow or hung Redis never holds up a sender. Failures are counted and logged.
    /// </summary>
    private async ValueTask PublishAsync(string channel, string methodName, object?[] args, IReadOnlyList<string>? excluded)
    {
        var redisSubscriber = subscriber ?? await SubscriberAsync();
        if (redisSubscriber is null)
        {
            CountPublishError(channel, new InvalidOperationException("The Redis connection could not be created."));
            return;
        }

        if (Interlocked.Increment(ref pendingPublishes) > MaxPendingPublishes)
        {
            Interlocked.Decrement(ref pendingPublishes);
            CountPublishError(channel, new InvalidOperationException($"{MaxPendingPublishes} publishes are waiting for Redis; dropping this one."));
            return;
        }

        Task<long> publish;
        try
        {
            var payload = BackplaneMessages.Invocation(nodeId, methodName, args, excluded, payloadOptions);
            publish = redisSubscriber.PublishAsync(BackplaneChannels.Literal(channel), payload);
        }
        catch (Exception e)
        {
            publish = Task.FromException<long>(e);
        }

        _ = publish.ContinueWith(
            static (task, state) =>
            {
                var (manager, channel) = ((RedisHubLifetimeManager<THub>, string))state!;
                manager.OnPublished(task, channel);
            },
            (this, channel),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void OnPublished(Task<long> publish, string channel)
    {
        Interlocked.Decrement(ref pendingPublishes);
        if (publish.IsCompletedSuccessfully)
        {
            status.CountPublished();
            Volatile.Write(ref publishFailing, 0);
        }
        else
        {
            CountPublishError(channel, publish.Exception?.GetBaseException() ?? new OperationCanceledException());
        }
    }

    private void CountPublishError(string channel, Exception e)
    {
        status.CountPublishError();
        if (Interlocked.Exchange(ref publishFailing, 1) == 0)
        {
            // The first failure after a success is worth a warning; the next ones in a row are noise.
            BackplaneLog.PublishFailed(log, e, channel, status.PublishErrors);
            probeNeeded = true;
        }
        else
        {
            BackplaneLog.PublishFailedAgain(log, channel, status.PublishErrors);
        }
    }

    /// <summary>Null only when the multiplexer could not be created at all (invalid configuration) or the node is stopping.</summary>
    private async Task<ISubscriber?> SubscriberAsync()
    {
        if (subscriber is { } current)
        {
            return current;
        }

        // Only while the multiplexer is being created (bounded by its connect timeout).
        try
        {
            return await ready.Task.WaitAsync(stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Runs on StackExchange.Redis's thread: only hand over, never block.</summary>
    private void OnRedisMessage(RedisChannel channel, RedisValue value)
    {
        var name = (string)channel!;
        if (name == channels.Acks)
        {
            if (acks.TryRemove((string)value!, out var acknowledged))
            {
                acknowledged.TrySetResult();
            }

            return;
        }

        if (!inbox.Writer.TryWrite((name, (byte[])value!)) && !stopping.IsCancellationRequested)
        {
            status.CountReceiveDropped();
            BackplaneLog.ReceiveDropped(log, name, InboxCapacity);
        }
    }

    /// <summary>One message at a time, in arrival order: a client sees publications in the order they were sent.</summary>
    private async Task ReceiveLoopAsync()
    {
        try
        {
            await foreach (var (channel, payload) in inbox.Reader.ReadAllAsync(stopping.Token))
            {
                try
                {
                    await HandleAsync(channel, payload);
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    BackplaneLog.ReceiveFailed(log, e, channel);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(string channel, byte[] payload)
    {
        if (channel == channels.GroupCommands)
        {
            await ApplyGroupCommandAsync(BackplaneMessages.ReadCommand(payload));
            return;
        }

        var envelope = BackplaneMessages.ReadInvocation(payload);
        if (envelope.Origin == nodeId)
        {
            return; // delivered locally when it was sent
        }

        status.CountReceived();
        var args = new object?[envelope.Arguments.Length];
        for (var i = 0; i < args.Length; i++)
        {
            var argument = envelope.Arguments[i];
            args[i] = argument.ValueKind == JsonValueKind.Null ? null : argument;
        }

        var message = Serialized(envelope.Target, args);
        if (channel == channels.All)
        {
            await WriteAsync(connections, message, envelope.Excluded, stopping.Token);
        }
        else if (channels.TryGroup(channel, out var group))
        {
            if (groups[group] is { } members)
            {
                await WriteAsync(members, message, envelope.Excluded, stopping.Token);
            }
        }
        else if (channels.TryConnection(channel, out var connectionId))
        {
            if (connections[connectionId] is { } connection)
            {
                await connection.WriteAsync(message, stopping.Token);
            }
        }
        else if (channels.TryUser(channel, out var user))
        {
            await WriteToUserAsync(user, message, stopping.Token);
        }
    }

    private async Task ApplyGroupCommandAsync(GroupCommand command)
    {
        if (connections[command.Connection] is not { } connection)
        {
            return; // another node's connection (or none's: then nobody acks and the sender reports it)
        }

        if (command.Op == GroupCommand.Add)
        {
            await AddLocalAsync(connection, command.Group);
        }
        else
        {
            RemoveLocal(connection, command.Group);
        }

        BackplaneLog.GroupCommandApplied(log, command.Op, command.Connection, command.Group, command.Origin);
        try
        {
            var redisSubscriber = await SubscriberAsync();
            if (redisSubscriber is not null)
            {
                await Observed(redisSubscriber.PublishAsync(BackplaneChannels.Literal(channels.AcksOf(command.Origin)), command.Id)).WaitAsync(ackTimeout, stopping.Token);
                status.CountPublished();
            }
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            CountPublishError(channels.AcksOf(command.Origin), e);
        }
    }

    /// <summary>
    /// Creates the multiplexer, then keeps the subscriptions true: after any connection failure (and every
    /// few seconds while healthy) it re-subscribes and proves it with a probe that makes the round trip
    /// through Redis back to this node.
    /// </summary>
    private async Task MonitorLoopAsync()
    {
        ConnectionMultiplexer mux;
        try
        {
            // Blocks up to the connect timeout when Redis is down; AbortOnConnectFail is off, so it returns.
            mux = redis.Multiplexer;
        }
        catch (Exception e)
        {
            BackplaneLog.StartFailed(log, e);
            SetState(BackplaneState.Down, $"the Redis connection could not be created: {e.Message}");
            ready.TrySetResult(null);
            return;
        }

        multiplexer = mux;
        mux.ConnectionFailed += OnConnectionFailed;
        mux.ConnectionRestored += OnConnectionRestored;
        var redisSubscriber = mux.GetSubscriber();
        subscriptions.Attach(redisSubscriber);
        subscriber = redisSubscriber;
        ready.TrySetResult(redisSubscriber);

        var lastProbe = DateTimeOffset.MinValue;
        while (!stopping.IsCancellationRequested)
        {
            if (!mux.IsConnected)
            {
                resubscribeNeeded = true;
                SetState(BackplaneState.Down, "Redis is unreachable");
            }
            else if (resubscribeNeeded)
            {
                resubscribeNeeded = false;
                if (status.State == BackplaneState.Connected)
                {
                    SetState(BackplaneState.Degraded, "re-subscribing");
                }

                if (await subscriptions.ResubscribeAllAsync() && await ProbeAsync(redisSubscriber))
                {
                    lastProbe = DateTimeOffset.UtcNow;
                    SetState(BackplaneState.Connected, null);
                }
                else
                {
                    resubscribeNeeded = true;
                    SetState(BackplaneState.Degraded, "Redis answers but the subscriptions are not confirmed yet");
                }
            }
            else if (probeNeeded || DateTimeOffset.UtcNow - lastProbe >= ProbeInterval)
            {
                probeNeeded = false;
                lastProbe = DateTimeOffset.UtcNow;
                if (!await ProbeAsync(redisSubscriber))
                {
                    resubscribeNeeded = true;
                    SetState(BackplaneState.Degraded, "a probe did not come back through Redis");
                }
            }

            try
            {
                await Task.Delay(status.State == BackplaneState.Connected && !resubscribeNeeded ? HealthyTick : RecoveringTick, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Publishes to this node's own ack channel and waits for it to come back.</summary>
    private async Task<bool> ProbeAsync(ISubscriber redisSubscriber)
    {
        var id = "probe-" + Guid.NewGuid().ToString("N");
        var echoed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        acks[id] = echoed;
        try
        {
            // Only this node listens on its ack channel: no receiver means its subscriptions are gone.
            var receivers = await Observed(redisSubscriber.PublishAsync(BackplaneChannels.Literal(channels.Acks), id)).WaitAsync(ProbeTimeout, stopping.Token);
            if (receivers == 0)
            {
                return false;
            }

            await echoed.Task.WaitAsync(ProbeTimeout, stopping.Token);
            return true;
        }
        catch (Exception) when (!stopping.IsCancellationRequested)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            acks.TryRemove(id, out _);
        }
    }

    private void SetState(BackplaneState state, string? reason)
    {
        if (!status.Set(state, reason))
        {
            return;
        }

        switch (state)
        {
            case BackplaneState.Connected:
                BackplaneLog.Connected(log);
                break;
            case BackplaneState.Down:
                BackplaneLog.Down(log, reason ?? "unknown");
                break;
            default:
                BackplaneLog.Degraded(log, reason ?? "unknown");
                break;
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        resubscribeNeeded = true;
        SetState(BackplaneState.Down, $"{e.ConnectionType} connection failed: {e.FailureType}");
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // 1.2.6 reconnects but does not reliably re-subscribe: the monitor does, once Redis routes commands.
        resubscribeNeeded = true;
        BackplaneLog.Restored(log, e.ConnectionType.ToString());
    }

    private void OnSubscribeFailed(string channel, Exception e)
    {
        if (stopping.IsCancellationRequested)
        {
            return;
        }

        resubscribeNeeded = true;
        if (status.State != BackplaneState.Down)
        {
            // While Redis is down every (un)subscribe fails; that is already said once.
            BackplaneLog.SubscribeFailed(log, e, channel);
        }
    }
}
