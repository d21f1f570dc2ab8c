namespace RealtimeSync.Hub.Documents.Internal;

internal static partial class DocumentsLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Callback status {Status} for document {Tenant}/{DocumentId}: {Outcome}")]
    public static partial void Callback(ILogger logger, string tenant, string documentId, int status, string outcome);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Callback for document {Tenant}/{DocumentId} refused: {Reason}")]
    public static partial void CallbackRefused(ILogger logger, string tenant, string documentId, string reason);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Save job {JobId} of document {Tenant}/{DocumentId} committed as version {Version} in {ElapsedMs} ms")]
    public static partial void JobCommitted(ILogger logger, long jobId, string tenant, string documentId, int version, long elapsedMs);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "Save job {JobId} of document {Tenant}/{DocumentId} could not be stored (attempt {Attempt}); retrying")]
    public static partial void JobRetrying(ILogger logger, Exception e, long jobId, string tenant, string documentId, int attempt);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Error, Message = "Save job {JobId} of document {Tenant}/{DocumentId} failed for good: {Reason}")]
    public static partial void JobFailed(ILogger logger, long jobId, string tenant, string documentId, string reason);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Error, Message = "Save worker pass failed")]
    public static partial void WorkerPassFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "Publishing the save status of document {Tenant}/{DocumentId} failed")]
    public static partial void PublishFailed(ILogger logger, Exception e, string tenant, string documentId);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Information, Message = "Force-save of document {Tenant}/{DocumentId}: Document Server answered error {Error}")]
    public static partial void ForceSave(ILogger logger, string tenant, string documentId, int error);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Information, Message = "Resuming {Count} unfinished save jobs")]
    public static partial void Resuming(ILogger logger, int count);
}
