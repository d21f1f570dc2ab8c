namespace RealtimeSync.Hub.DocumentSync.Internal;

internal static partial class DocumentSyncLog
{
    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "Purged {Count} document tombstones of tenant {Tenant} through seq {PurgedSeq}")]
    public static partial void TombstonesPurged(ILogger logger, string tenant, int count, long purgedSeq);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Blob {BlobKey} of purged document {Tenant}/{DocumentId} could not be deleted")]
    public static partial void BlobDeleteFailed(ILogger logger, Exception exception, string tenant, string documentId, string blobKey);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Information, Message = "Cursor of tenant {Tenant} at seq {CursorSeq} is behind the purge horizon {PurgedSeq}: reset")]
    public static partial void CursorReset(ILogger logger, string tenant, long cursorSeq, long purgedSeq);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Warning, Message = "Reading document changes for documents.changes-available failed; the next tick reads again")]
    public static partial void ChangesAvailableFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Warning, Message = "Batch download of tenant {Tenant} aborted after {Entries} entries")]
    public static partial void BatchDownloadAborted(ILogger logger, Exception exception, string tenant, int entries);
}
