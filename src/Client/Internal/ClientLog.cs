using Microsoft.Extensions.Logging;

namespace RealtimeSync.Client.Internal;

/// <summary>The SDK's log messages (event ids 15001–15099 belong to RealtimeSync.Client).</summary>
internal static partial class ClientLog
{
    [LoggerMessage(15001, LogLevel.Information, "Pushed {Acknowledged} events ({Conflicts} conflicts, {Rejected} rejected) for client {ClientId}")]
    public static partial void Pushed(ILogger logger, int acknowledged, int conflicts, int rejected, string clientId);

    [LoggerMessage(15002, LogLevel.Information, "Pulled {Changes} changes in {Pages} pages for client {ClientId}")]
    public static partial void Pulled(ILogger logger, int changes, int pages, string clientId);

    [LoggerMessage(15003, LogLevel.Warning, "Sync request failed ({Reason}); retry {Attempt} in {Delay}")]
    public static partial void Retrying(ILogger logger, string reason, int attempt, TimeSpan delay);

    [LoggerMessage(15004, LogLevel.Warning, "Sync failed for client {ClientId}: {Reason}")]
    public static partial void SyncFailed(ILogger logger, string clientId, string reason);

    [LoggerMessage(15005, LogLevel.Warning, "Event {EventId} conflicts on {EntityType} {EntityId}: {Reason}")]
    public static partial void Conflict(ILogger logger, string eventId, string entityType, string entityId, string reason);

    [LoggerMessage(15006, LogLevel.Warning, "Event {EventId} was refused: {Reason}")]
    public static partial void Rejected(ILogger logger, string eventId, string reason);

    [LoggerMessage(15007, LogLevel.Information, "Live connection for {Channel} lost; recovering from offset {Offset}")]
    public static partial void Recovering(ILogger logger, string channel, long offset);

    [LoggerMessage(15008, LogLevel.Warning, "Live subscription to {Channel} needs a resync (history no longer covers offset {Offset})")]
    public static partial void ResyncRequired(ILogger logger, string channel, long offset);

    [LoggerMessage(15009, LogLevel.Debug, "Listening for changes failed; the timer still syncs")]
    public static partial void ListenFailed(ILogger logger, Exception exception);
}
