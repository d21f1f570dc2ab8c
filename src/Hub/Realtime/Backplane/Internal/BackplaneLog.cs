namespace RealtimeSync.Hub.Realtime.Backplane.Internal;

internal static partial class BackplaneLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Redis backplane of node {NodeId} starts on channel prefix {Prefix}")]
    public static partial void Starting(ILogger logger, string nodeId, string prefix);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Redis backplane connected: subscriptions verified by a probe through Redis")]
    public static partial void Connected(ILogger logger);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Redis backplane is down ({Reason}); serving local connections only")]
    public static partial void Down(ILogger logger, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Redis backplane degraded: {Reason}")]
    public static partial void Degraded(ILogger logger, string reason);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Publishing to Redis channel {Channel} failed; local connections were served, other nodes miss it ({PublishErrors} errors so far)")]
    public static partial void PublishFailed(ILogger logger, Exception e, string channel, long publishErrors);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Debug, Message = "Publishing to Redis channel {Channel} failed again ({PublishErrors} errors so far)")]
    public static partial void PublishFailedAgain(ILogger logger, string channel, long publishErrors);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Warning, Message = "Redis subscription to {Channel} failed; it is retried when Redis answers")]
    public static partial void SubscribeFailed(ILogger logger, Exception e, string channel);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Error, Message = "Handling a backplane message on {Channel} failed")]
    public static partial void ReceiveFailed(ILogger logger, Exception e, string channel);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "Dropped a backplane message on {Channel}: local delivery is {Capacity} messages behind")]
    public static partial void ReceiveDropped(ILogger logger, string channel, int capacity);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Debug, Message = "Applied group command {Op} of connection {ConnectionId} to group {Group} from node {Origin}")]
    public static partial void GroupCommandApplied(ILogger logger, string op, string connectionId, string group, string origin);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Warning, Message = "Group command {Op} of connection {ConnectionId} to group {Group} was not acknowledged by any node within {TimeoutMs} ms")]
    public static partial void GroupCommandUnanswered(ILogger logger, string op, string connectionId, string group, double timeoutMs);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Error, Message = "Redis backplane could not create its Redis connection")]
    public static partial void StartFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Information, Message = "Redis connection ({ConnectionType}) restored; re-subscribing")]
    public static partial void Restored(ILogger logger, string connectionType);
}
