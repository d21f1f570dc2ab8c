using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using RealtimeSync.Hub.Infrastructure.Redis;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Realtime.Backplane;

/// <summary>
/// This node's hub connections, over the lifetime manager that really fans SignalR's sends out: the official
/// Redis backplane (<c>AddStackExchangeRedis</c>) or, without Redis, SignalR's in-process manager. All, group,
/// user and connection sends and group membership are the inner manager's; this layer adds only what the
/// product needs from it (docs/architecture.md, "Real-time"):
/// <list type="bullet">
/// <item><see cref="WriteLocalAsync"/>: the channel fan-out writes a publication to this node's subscribers
/// directly, serialized once per protocol. The official manager's <c>SendConnectionsAsync</c> publishes one
/// Redis message per connection id, local ones included.</item>
/// <item>Connections are accepted while Redis is down. The official manager subscribes a Redis channel per
/// connection in <c>OnConnectedAsync</c> and fails the connection when it cannot (dotnet/aspnetcore#21539);
/// here the connection is served at once and registered with the backplane when Redis answers again, with
/// the groups it joined meanwhile.</item>
/// <item>Sends never throw at the sender when Redis is unreachable: they are at most once, counted in
/// <see cref="BackplaneStatus"/> and logged. A group change of a connection no node has fails within
/// <c>Redis:Backplane:AckTimeoutMs</c> with a clear error (the package waits 30 s, then cancels); until then
/// the command is published again every second, since Redis may have lost it or its ack.</item>
/// </list>
/// </summary>
public sealed partial class NodeHubLifetimeManager<THub> : HubLifetimeManager<THub>, IDisposable
    where THub : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>How long a connect waits for the backplane to register it before serving it unregistered.</summary>
    private static readonly TimeSpan RegisterTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a group change for another node's connection waits for an ack before publishing the command again.</summary>
    private static readonly TimeSpan AckRetryInterval = TimeSpan.FromSeconds(1);

    private readonly HubConnectionStore connections = new();
    private readonly ConcurrentDictionary<string, Registration> registrations = new(StringComparer.Ordinal);
    private readonly IConnectionMultiplexer? redis;
    private readonly BackplaneStatus status;
    private readonly TimeSpan ackTimeout;
    private readonly ILogger log;
    private readonly CancellationTokenSource stopping = new();
    private int publishFailing;
    private volatile bool warmedUp;

    /// <param name="redis">The node's multiplexer when <paramref name="inner"/> is the Redis backplane; null in-process.</param>
    public NodeHubLifetimeManager(HubLifetimeManager<THub> inner, IConnectionMultiplexer? redis, BackplaneStatus status, TimeSpan ackTimeout, ILogger log)
    {
        Inner = inner;
        this.redis = redis;
        this.status = status;
        this.ackTimeout = ackTimeout;
        this.log = log;
        status.Enabled = redis is not null;
        if (redis is not null)
        {
            redis.ConnectionFailed += (_, e) => UpdateState();
            redis.ConnectionRestored += (_, e) => UpdateState();
            UpdateState();
            _ = Task.Run(WarmUpAsync);
            _ = Task.Run(RegisterLoopAsync);
        }
    }

    public HubLifetimeManager<THub> Inner { get; }

    /// <summary>Connections served but not (yet) known to the backplane because Redis was unreachable when they came.</summary>
    public int Unregistered => registrations.Count(r => !r.Value.Registered);

    /// <summary>Writes one message to those of <paramref name="connectionIds"/> that are connected to this node; returns how many.</summary>
    public async Task<int> WriteLocalAsync(IReadOnlyList<string> connectionIds, SerializedHubMessage message, CancellationToken ct = default)
    {
        List<Task>? pending = null;
        var written = 0;
        foreach (var id in connectionIds)
        {
            if (connections[id] is not { } connection)
            {
                continue;
            }

            written++;
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

        return written;
    }

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        connections.Add(connection);
        if (redis is null)
        {
            await Inner.OnConnectedAsync(connection);
            return;
        }

        var registration = registrations.GetOrAdd(connection.ConnectionId, _ => new Registration(connection));
        if (redis.IsConnected)
        {
            await RegisterAsync(registration, RegisterTimeout);
        }

        if (!registration.Registered)
        {
            LogServedUnregistered(log, connection.ConnectionId);
            UpdateState();
        }
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        connections.Remove(connection);
        if (redis is null)
        {
            await Inner.OnDisconnectedAsync(connection);
            return;
        }

        if (!registrations.TryRemove(connection.ConnectionId, out var registration))
        {
            return;
        }

        await registration.Gate.WaitAsync();
        try
        {
            registration.Gone = true;
            if (registration.Attempted)
            {
                await ForgetAsync(connection);
            }
        }
        finally
        {
            registration.Gate.Release();
        }
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        ForwardAsync("all", () => Inner.SendAllAsync(methodName, args, cancellationToken));

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        ForwardAsync("all", () => Inner.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken));

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        connections[connectionId] is { } local
            ? local.WriteAsync(new SerializedHubMessage(new Microsoft.AspNetCore.SignalR.Protocol.InvocationMessage(methodName, args)), cancellationToken).AsTask()
            : ForwardAsync("connection", () => Inner.SendConnectionAsync(connectionId, methodName, args, cancellationToken));

    public override async Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        var remote = connectionIds.Where(id => connections[id] is null).ToList();
        var message = new SerializedHubMessage(new Microsoft.AspNetCore.SignalR.Protocol.InvocationMessage(methodName, args));
        await WriteLocalAsync(connectionIds, message, cancellationToken);
        if (remote.Count > 0)
        {
            await ForwardAsync("connections", () => Inner.SendConnectionsAsync(remote, methodName, args, cancellationToken));
        }
    }

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        ForwardAsync("group", () => Inner.SendGroupAsync(groupName, methodName, args, cancellationToken));

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        ForwardAsync("groups", () => Inner.SendGroupsAsync(groupNames, methodName, args, cancellationToken));

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        ForwardAsync("group", () => Inner.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken));

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        ForwardAsync("user", () => Inner.SendUserAsync(userId, methodName, args, cancellationToken));

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        ForwardAsync("users", () => Inner.SendUsersAsync(userIds, methodName, args, cancellationToken));

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        ChangeGroupAsync(connectionId, groupName, add: true, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        ChangeGroupAsync(connectionId, groupName, add: false, cancellationToken);

    public void Dispose()
    {
        stopping.Cancel();
        (Inner as IDisposable)?.Dispose();
    }

    private async Task ChangeGroupAsync(string connectionId, string group, bool add, CancellationToken ct)
    {
        if (redis is not null && registrations.TryGetValue(connectionId, out var registration) && !registration.Registered)
        {
            await registration.Gate.WaitAsync(ct);
            try
            {
                if (!registration.Registered)
                {
                    // Kept for the registration; until then group sends reach nobody anyway (Redis is down).
                    var pending = registration.PendingGroups ??= new HashSet<string>(StringComparer.Ordinal);
                    _ = add ? pending.Add(group) : pending.Remove(group);
                    return;
                }
            }
            finally
            {
                registration.Gate.Release();
            }
        }

        Task Change() => add ? Inner.AddToGroupAsync(connectionId, group, ct) : Inner.RemoveFromGroupAsync(connectionId, group, ct);
        if (redis is null || connections[connectionId] is not null)
        {
            await Change();
            return;
        }

        var what = add ? $"added to group '{group}'" : $"removed from group '{group}'";
        var elapsed = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            // The last attempt waits out what is left: at least one interval, so timers firing early never add one.
            var left = ackTimeout - elapsed.Elapsed;
            var retry = left >= 2 * AckRetryInterval;
            var wait = retry ? AckRetryInterval : left;
            try
            {
                await Change().WaitAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, ct);
                return;
            }
            catch (TimeoutException) when (retry)
            {
                // Pub/sub is at most once: the command or its ack may have been published while a node was
                // (re-)subscribing. Adds and removes are idempotent, and one node's commands arrive in order.
                LogGroupCommandRepeated(log, connectionId, attempt);
            }
            catch (Exception e) when (e is TimeoutException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                throw new InvalidOperationException(
                    $"Connection {connectionId} is not connected to any node: no node acknowledged that it was {what} within {ackTimeout.TotalMilliseconds:0} ms.");
            }
            catch (Exception e) when (RedisFailure.IsOutage(e) && e is not TimeoutException)
            {
                throw new InvalidOperationException($"Connection {connectionId} is not connected to this node and Redis is unreachable, so it could not be {what}.", e);
            }
        }
    }

    /// <summary>Hands a send to the inner manager; with Redis unreachable it is lost (at most once), counted and logged, never thrown.</summary>
    private async Task ForwardAsync(string kind, Func<Task> send)
    {
        if (redis is null)
        {
            await send();
            return;
        }

        try
        {
            await send();
            status.CountPublished();
            Volatile.Write(ref publishFailing, 0);
        }
        catch (Exception e) when (RedisFailure.IsOutage(e))
        {
            status.CountPublishError();
            if (Interlocked.Exchange(ref publishFailing, 1) == 0)
            {
                // The first failure after a success is worth a warning; the next ones in a row are noise.
                LogSendLost(log, e, kind, status.PublishErrors);
            }

            UpdateState();
        }
    }

    /// <summary>Registers with the backplane under the connection's gate; false when Redis did not take it in time.</summary>
    private async Task RegisterAsync(Registration registration, TimeSpan timeout)
    {
        await registration.Gate.WaitAsync();
        try
        {
            if (registration.Registered || registration.Gone)
            {
                return;
            }

            if (registration.Attempted)
            {
                // A failed attempt may have left half a registration (a connection channel subscribed):
                // clear it so the connection is not subscribed twice.
                await ForgetAsync(registration.Connection);
            }

            registration.Attempted = true;
            await Inner.OnConnectedAsync(registration.Connection).WaitAsync(timeout);
            foreach (var group in registration.PendingGroups ?? [])
            {
                await Inner.AddToGroupAsync(registration.Connection.ConnectionId, group).WaitAsync(timeout);
            }

            registration.PendingGroups = null;
            registration.Registered = true;
        }
        catch (Exception e) when (RedisFailure.IsOutage(e) || e is InvalidOperationException)
        {
            LogRegisterFailed(log, e, registration.Connection.ConnectionId);
        }
        finally
        {
            registration.Gate.Release();
        }
    }

    private async Task ForgetAsync(HubConnectionContext connection)
    {
        try
        {
            await Inner.OnDisconnectedAsync(connection).WaitAsync(RegisterTimeout);
        }
        catch (Exception e) when (RedisFailure.IsOutage(e) || e is InvalidOperationException or NullReferenceException)
        {
            // Nothing registered, or Redis unreachable: its subscriptions go with the Redis connection anyway.
            LogForgetFailed(log, e, connection.ConnectionId);
        }
    }

    /// <summary>
    /// Until a send to a connection nobody has went through Redis, the backplane does not count as connected.
    /// The package starts subscribing its all / group-command / ack channels when it is created and does not
    /// wait for that before it publishes, so a group command right after start-up may still be lost: see
    /// <see cref="ChangeGroupAsync"/>, which publishes it again.
    /// </summary>
    private async Task WarmUpAsync()
    {
        var probe = "warm-up-" + Guid.NewGuid().ToString("N");
        while (!stopping.IsCancellationRequested && !warmedUp)
        {
            try
            {
                await Inner.SendConnectionAsync(probe, "warm-up", [], stopping.Token).WaitAsync(RegisterTimeout, stopping.Token);
                warmedUp = true;
                UpdateState();
                return;
            }
            catch (Exception e) when (RedisFailure.IsOutage(e) || e is OperationCanceledException)
            {
                await Task.Delay(250, CancellationToken.None);
            }
        }
    }

    /// <summary>Registers the connections that came while Redis was down, once it answers again.</summary>
    private async Task RegisterLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (redis!.IsConnected)
            {
                foreach (var registration in registrations.Values.Where(r => !r.Registered).ToList())
                {
                    await RegisterAsync(registration, RegisterTimeout * 2);
                }
            }

            UpdateState();
        }
    }

    private void UpdateState()
    {
        var (next, reason) = !redis!.IsConnected ? (BackplaneState.Down, "Redis is unreachable")
            : !warmedUp ? (BackplaneState.Degraded, "the backplane is subscribing its channels")
            : Unregistered > 0 ? (BackplaneState.Degraded, $"{Unregistered} connections wait to be registered with the backplane")
            : (BackplaneState.Connected, (string?)null);
        if (status.Set(next, reason))
        {
            LogState(log, next, reason ?? "");
        }
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Redis backplane is {State} {Reason}")]
    private static partial void LogState(ILogger logger, BackplaneState state, string reason);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "A {Kind} send through the Redis backplane was lost ({PublishErrors} so far); channel publications are not affected")]
    private static partial void LogSendLost(ILogger logger, Exception e, string kind, long publishErrors);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Connection {ConnectionId} is served before the backplane knows it; it is registered when Redis answers")]
    private static partial void LogServedUnregistered(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "Registering connection {ConnectionId} with the backplane failed; retried when Redis answers")]
    private static partial void LogRegisterFailed(ILogger logger, Exception e, string connectionId);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Removing connection {ConnectionId} from the backplane failed")]
    private static partial void LogForgetFailed(ILogger logger, Exception e, string connectionId);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Debug, Message = "No node acknowledged group command {Attempt} for connection {ConnectionId} yet; publishing it again")]
    private static partial void LogGroupCommandRepeated(ILogger logger, string connectionId, int attempt);

    /// <summary>Where a connection stands with the backplane; changed under <see cref="Gate"/>.</summary>
    private sealed class Registration(HubConnectionContext connection)
    {
        public HubConnectionContext Connection { get; } = connection;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public volatile bool Registered;

        public bool Attempted;

        public bool Gone;

        /// <summary>Groups joined before the registration; null when none (every connection has a registration, few join early).</summary>
        public HashSet<string>? PendingGroups;
    }
}
