namespace RealtimeSync.Hub.Sync;

/// <summary>The <c>Sync</c> section. Read at use time (IOptionsMonitor), so a reloaded configuration applies at once.</summary>
public sealed class SyncOptions
{
    /// <summary>Most events in one <c>sync/up</c> batch.</summary>
    public int MaxBatchEvents { get; set; } = 2000;

    /// <summary>
    /// Most events of a <c>sync/up</c> batch decided in one transaction (a bigger batch takes several, each
    /// committed before the next starts, and its progress is reported as each commits).
    /// </summary>
    public int UploadTransactionEvents { get; set; } = 500;

    /// <summary>
    /// false: one transaction per event through the entity store, the path before issue 17. Kept for the
    /// benchmark's before/after and the test comparing both; not for production.
    /// </summary>
    public bool BatchUpload { get; set; } = true;

    /// <summary>Default page size of <c>sync/down</c>.</summary>
    public int DefaultPageSize { get; set; } = 100;

    /// <summary>Largest page size of <c>sync/down</c>.</summary>
    public int MaxPageSize { get; set; } = 500;

    /// <summary>A <c>sync.progress</c> publication every this many events of an upload (and for download pages at least this big).</summary>
    public int ProgressEvery { get; set; } = 100;

    /// <summary>At most one <c>sync.changes-available</c> per subscribed client per this interval.</summary>
    public int ChangesAvailableIntervalMs { get; set; } = 500;

    /// <summary>How long a processed event's receipt is kept: a batch retried later than this is applied again.</summary>
    public int ReceiptRetentionDays { get; set; } = 30;

    /// <summary>How long sync log entries are kept.</summary>
    public int LogRetentionDays { get; set; } = 90;

    /// <summary>How often old receipts and log entries are deleted.</summary>
    public int PruneIntervalMinutes { get; set; } = 60;

    public SyncRateLimitOptions RateLimits { get; set; } = new();
}

/// <summary>Fixed-window request limits per sync client and per tenant (per node).</summary>
public sealed class SyncRateLimitOptions
{
    public SyncWindow PerClient { get; set; } = new() { PermitLimit = 120, WindowSeconds = 60 };

    public SyncWindow PerTenant { get; set; } = new() { PermitLimit = 1200, WindowSeconds = 60 };
}

/// <summary><see cref="PermitLimit"/> requests per <see cref="WindowSeconds"/>; 0 permits = unlimited.</summary>
public sealed class SyncWindow
{
    public int PermitLimit { get; set; }

    public int WindowSeconds { get; set; } = 60;
}
