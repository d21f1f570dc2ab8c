namespace RealtimeSync.Hub.Sync.Internal;

internal static partial class SyncLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "sync/{Direction} of client {ClientId} (tenant {Tenant}): {Status} in {DurationMs} ms ({Acknowledged} acknowledged, {Conflicts} conflicts, {Rejected} rejected, {Changes} changes)")]
    public static partial void Request(ILogger logger, string direction, string clientId, string tenant, string status, int durationMs, int acknowledged, int conflicts, int rejected, int changes);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "sync/{Direction} of client {ClientId} (tenant {Tenant}) failed")]
    public static partial void Failed(ILogger logger, Exception e, string direction, string clientId, string tenant);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Writing the sync log for client {ClientId} (tenant {Tenant}) failed")]
    public static partial void AuditFailed(ILogger logger, Exception e, string clientId, string tenant);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Publishing {Type} on {Channel} failed")]
    public static partial void PushFailed(ILogger logger, Exception e, string type, string channel);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Conflict {EventId} of client {ClientId} (tenant {Tenant}) resolved as {Resolution} by {Actor}")]
    public static partial void Resolved(ILogger logger, string eventId, string clientId, string tenant, string resolution, string actor);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "sync/{Direction} refused for client {ClientId} (tenant {Tenant}): rate limit of the {Scope}")]
    public static partial void RateLimited(ILogger logger, string direction, string clientId, string tenant, string scope);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Information, Message = "sync/up transaction of client {ClientId} (tenant {Tenant}) rolled back and retried (attempt {Attempt}): it raced another writer")]
    public static partial void BatchRetried(ILogger logger, Exception e, string tenant, string clientId, int attempt);
}
