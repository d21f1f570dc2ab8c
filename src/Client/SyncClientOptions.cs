namespace RealtimeSync.Client;

/// <summary>Settings of a <see cref="RealtimeSyncClient"/>.</summary>
public sealed class SyncClientOptions
{
    /// <summary>The hub's base address, e.g. <c>http://127.0.0.1:5000/</c>.</summary>
    public required Uri Server { get; set; }

    /// <summary>The bearer token (a JWT with <c>tenant</c> and <c>sub</c> or <c>client_id</c>).</summary>
    public required string Token { get; set; }

    /// <summary>The local SQLite file (created when missing).</summary>
    public required string DatabasePath { get; set; }

    /// <summary>The tenant; taken from the token's <c>tenant</c> claim when null.</summary>
    public string? Tenant { get; set; }

    /// <summary>The client id; taken from the token's <c>client_id</c> (or <c>sub</c>) claim when null.</summary>
    public string? ClientId { get; set; }

    /// <summary>Events per <c>sync/up</c> request (the server takes at most 2000 by default).</summary>
    public int PushBatchSize { get; set; } = 200;

    /// <summary>Changes per <c>sync/down</c> page (the server's maximum is 500 by default).</summary>
    public int PullPageSize { get; set; } = 500;

    /// <summary>How often the background loop syncs when nothing else triggers it.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a failed sync request (offline, 5xx, 429) before the sync reports the failure.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First retry delay; later ones grow exponentially, with jitter. A <c>429 Retry-After</c> wins over it.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of one retry delay.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Whether the background loop listens to the <c>sync.changes-available</c> push on the client's sync channel.</summary>
    public bool ListenForChanges { get; set; } = true;

    /// <summary>A handler for the HTTP calls (proxies, tests); null for the default one.</summary>
    public HttpMessageHandler? HttpHandler { get; set; }
}
