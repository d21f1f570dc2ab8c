namespace RealtimeSync.Hub.Documents;

/// <summary><c>Documents:</c> settings, read at use time (hot-reloadable).</summary>
public sealed class DocumentsOptions
{
    public const string Section = "Documents";

    /// <summary>Largest file accepted by the upload API.</summary>
    public long MaxUploadBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Lifetime of the signed link to the committed version that the editor config hands to Document Server.</summary>
    public int SignedLinkExpirySeconds { get; set; } = 900;

    /// <summary>Upper bound of <c>expiresIn</c> for presigned download links.</summary>
    public int PresignMaxExpirySeconds { get; set; } = 3600;

    /// <summary>Spool folder for received files, relative to <c>Storage:DataPath</c> (or absolute).</summary>
    public string SpoolFolder { get; set; } = "spool";

    /// <summary>How long a force-save (and <c>content?latest=true</c>) waits for the status-6 version to commit.</summary>
    public int ForceSaveWaitSeconds { get; set; } = 20;

    /// <summary>Upload tries per worker pass (Polly retry, exponential backoff with jitter).</summary>
    public int UploadRetries { get; set; } = 3;

    /// <summary>First retry delay of an upload, doubled per retry.</summary>
    public int UploadRetryDelayMilliseconds { get; set; } = 200;

    /// <summary>How long the circuit breaker stays open after storage kept failing.</summary>
    public int BreakSeconds { get; set; } = 5;

    /// <summary>Longest wait between two worker passes over a job that could not be stored.</summary>
    public int MaxJobRetryDelaySeconds { get; set; } = 10;

    /// <summary>How long a claimed job belongs to its worker before another node may take it over.</summary>
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How often the worker looks for due jobs when nothing signalled it.</summary>
    public int PollMilliseconds { get; set; } = 1000;
}

/// <summary><c>OnlyOffice:</c> settings. The secret is never logged.</summary>
public sealed class OnlyOfficeOptions
{
    public const string Section = "OnlyOffice";

    /// <summary>Document Server base URL, e.g. https://docs.example.com/. Files are only downloaded from its origin.</summary>
    public string DocumentServerUrl { get; set; } = "";

    /// <summary>Shared JWT secret (HS256). Empty: callbacks are accepted unsigned (the callback URL is still HMAC-signed).</summary>
    public string JwtSecret { get; set; } = "";

    /// <summary>Header Document Server puts its token in when not in the body.</summary>
    public string JwtHeader { get; set; } = "Authorization";

    /// <summary>Public base URL Document Server uses to reach this hub (callbacks, file links). Empty: the request's own base URL.</summary>
    public string CallbackBaseUrl { get; set; } = "";

    /// <summary>How often the background probe sends Document Server the <c>version</c> command (the <c>rs_documentserver_up</c> gauge).</summary>
    public int ProbeIntervalSeconds { get; set; } = 30;

    /// <summary>Command Service path under <see cref="DocumentServerUrl"/>.</summary>
    public string CommandPath { get; set; } = "coauthoring/CommandService.ashx";

    public Uri? DocumentServer => Uri.TryCreate(DocumentServerUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;
}
