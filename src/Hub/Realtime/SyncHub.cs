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
public sealed partial class SyncHub(IChannelHistory history, ChannelSubscriptions subscriptions, ILogger<SyncHub> log) : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>The client method every publication is sent to.</summary>
    public const string PublicationMethod = "publication";

    public async Task<SubscribeResult> Subscribe(string channel, StreamPosition? since)
    {
        var name = ChannelName.TryParse(channel) ?? throw new HubException($"'{channel}' is not a valid channel name.");
        var user = Context.User!;
        if (ChannelAccess.Check(name, user.FindFirst(ClaimNames.Tenant)?.Value, user.FindFirst(ClaimNames.Subject)?.Value, user.FindFirst("client_id")?.Value, user.FindFirst(ChannelAccess.ScopeClaim)?.Value) is { } refusal)
        {
            LogRefused(log, Context.ConnectionId, channel);
            throw new HubException(refusal);
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
        subscriptions.Connected();
        RealtimeMetrics.Connections.Add(1);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        subscriptions.Disconnected(Context.ConnectionId);
        RealtimeMetrics.Connections.Add(-1);
        return base.OnDisconnectedAsync(exception);
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "Connection {ConnectionId} subscribed to {Channel} since {SinceOffset}: {Recovered} recovered, resync {Resync}")]
    private static partial void LogSubscribed(ILogger logger, string connectionId, string channel, long? sinceOffset, int recovered, bool resync);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Connection {ConnectionId} refused channel {Channel}")]
    private static partial void LogRefused(ILogger logger, string connectionId, string channel);
}
