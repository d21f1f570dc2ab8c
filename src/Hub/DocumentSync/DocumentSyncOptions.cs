namespace RealtimeSync.Hub.DocumentSync;

/// <summary><c>Sync:</c> settings of document sync and downloads, read at use time (hot-reloadable).</summary>
public sealed class DocumentSyncOptions
{
    public const string Section = "Sync";

    /// <summary>How long a deleted document's tombstone stays visible to <c>documents/sync</c> before it is purged.</summary>
    public int TombstoneRetentionDays { get; set; } = 30;

    /// <summary>How often the tombstone purge runs.</summary>
    public int TombstonePurgeIntervalMinutes { get; set; } = 60;

    /// <summary>Tombstones removed per purge transaction (bounded lock time).</summary>
    public int TombstonePurgeBatchSize { get; set; } = 500;

    /// <summary>Lifetime of a <c>download-url</c> link when the client gives no <c>expiresIn</c>.</summary>
    public int DownloadUrlDefaultExpirySeconds { get; set; } = 300;

    /// <summary>Shortest <c>expiresIn</c> accepted.</summary>
    public int DownloadUrlMinExpirySeconds { get; set; } = 10;

    /// <summary>Longest <c>expiresIn</c> accepted.</summary>
    public int DownloadUrlMaxExpirySeconds { get; set; } = 3600;

    /// <summary>Most documents in one <c>batch-download</c>.</summary>
    public int BatchDownloadMaxDocuments { get; set; } = 100;

    /// <summary>Largest total size (committed versions) of one <c>batch-download</c>.</summary>
    public long BatchDownloadMaxBytes { get; set; } = 512L * 1024 * 1024;
}
