using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// <c>/hubs/sync</c>. Clients subscribe to channels and receive <c>publication</c> messages; a
/// subscribe with <c>since</c> recovers what was missed from the channel history, or says resync.
/// </summary>
[Authorize(Policy = AuthSetup.ApiPolicy)]
public sealed partial class SyncHub(IChannelHistory history, ChannelSubscriptions subscriptions, ConnectionLimits limits, ILogger<SyncHub> log) : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>The client method every publication is sent to.</summary>
    public const string PublicationMethod = "publication";

    public async Task<SubscribeResult> Subscribe(string channel, StreamPosition? since)
    {
        var name = ChannelName.TryParse(channel) ?? throw new HubException($"'{channel}' is not a valid channel name.");
        var user = Context.User!;
        if (ChannelAccess.Check(name, user.FindFirst(ClaimNames.Tenant)?.Value, user.FindFirst(ClaimNames.Subject)?.Value, user.FindFirst("client_id")?.Value, user.FindFirst(ChannelAccess.ScopeClaim)?.Value) is { } refusal)
        {
            LogRefusal(channel);
            throw new HubException(refusal);
        }

        var max = limits.Options.MaxSubscriptionsPerConnection;
        if (subscriptions.CountFor(Context.ConnectionId) >= max && !subscriptions.IsSubscribed(Context.ConnectionId, channel))
        {
            LogRefusal(channel);
            throw new HubException($"Subscription limit: a connection may subscribe to {max} channels (Realtime:Limits:MaxSubscriptionsPerConnection).");
        }

        // Join before reading the history: a publication racing with this call is then either in the
        // history read or delivered live (or both; the client drops offsets it has already seen).
        subscriptions.Add(Context.ConnectionId, channel);
        var result = await history.ReadSinceAsync(channel, since, Context.ConnectionAborted);
        LogSubscribed(log, Context.ConnectionId, channel, since?.Offset, result.Publications.Count, result.ResyncRequired);
        if (since is not null)
        {
            RealtimeMetrics.Recoveries.Add(1, new KeyValuePair<string, object?>("result", result.ResyncRequired ? "resync" : "recovered"), RealtimeMetrics.KindTag(channel));
        }

        return result;
    }

    public void Unsubscribe(string channel) => subscriptions.Remove(Context.ConnectionId, channel);

    public override Task OnConnectedAsync()
    {
        var token = ConnectionLimits.TokenKey(Context.User!);
        if (!limits.TryOpen(token))
        {
            LogTooManyConnections(log, Context.ConnectionId, Context.User!.FindFirst(ClaimNames.Tenant)?.Value, Context.User.FindFirst(ClaimNames.Subject)?.Value, limits.Options.MaxConnectionsPerToken);
            Context.Abort();
            return Task.CompletedTask;
        }

        Context.Items[CountedToken] = token;
        subscriptions.Connected();
        RealtimeMetrics.Connections.Add(1);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(CountedToken, out var token))
        {
            limits.Close((string)token!);
            subscriptions.Disconnected(Context.ConnectionId);
            RealtimeMetrics.Connections.Add(-1);
        }

        return base.OnDisconnectedAsync(exception);
    }

    private const string CountedToken = "rs.counted-token";
    private const string RefusalsLogged = "rs.refusals-logged";

    // One warning per connection: a client looping over refused subscribes must not flood the log.
    private void LogRefusal(string channel)
    {
        var first = !Context.Items.ContainsKey(RefusalsLogged);
        Context.Items[RefusalsLogged] = true;
        if (first)
        {
            LogRefused(log, Context.ConnectionId, channel);
        }
        else
        {
            LogRefusedAgain(log, Context.ConnectionId, channel);
        }
    }

    [LoggerMessage(EventId = 3012, Level = LogLevel.Debug, Message = "Connection {ConnectionId} refused channel {Channel} (again; warned once per connection)")]
    private static partial void LogRefusedAgain(ILogger logger, string connectionId, string channel);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Connection {ConnectionId} of {Tenant}/{Subject} closed: the token already has {Max} open connections on this node")]
    private static partial void LogTooManyConnections(ILogger logger, string connectionId, string? tenant, string? subject, int max);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "Connection {ConnectionId} subscribed to {Channel} since {SinceOffset}: {Recovered} recovered, resync {Resync}")]
    private static partial void LogSubscribed(ILogger logger, string connectionId, string channel, long? sinceOffset, int recovered, bool resync);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Connection {ConnectionId} refused channel {Channel}")]
    private static partial void LogRefused(ILogger logger, string connectionId, string channel);
}
