using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace RealtimeSync.Hub.Sync.Internal;

/// <summary>
/// Fixed-window request limits per sync client and per tenant, counted on this node. The window settings are
/// read on every request: a limiter made with other settings is replaced, so a configuration change applies
/// to the next request.
/// </summary>
internal sealed class SyncRateLimits(IOptionsMonitor<SyncOptions> options)
{
    private readonly ConcurrentDictionary<string, (SyncWindow Settings, FixedWindowRateLimiter Limiter)> limiters = new(StringComparer.Ordinal);

    /// <summary>Null when the request may go on; otherwise which limit refused it and when to retry.</summary>
    public (string Scope, TimeSpan RetryAfter)? TryAcquire(string tenant, string clientId)
    {
        var settings = options.CurrentValue.RateLimits;
        if (Refused("tenant:" + tenant, settings.PerTenant) is { } tenantWait)
        {
            return ("tenant", tenantWait);
        }

        return Refused("client:" + tenant + "\0" + clientId, settings.PerClient) is { } clientWait ? ("client", clientWait) : null;
    }

    private TimeSpan? Refused(string key, SyncWindow window)
    {
        if (window.PermitLimit <= 0)
        {
            return null;
        }

        var entry = limiters.AddOrUpdate(
            key,
            _ => (Copy(window), Create(window)),
            (_, existing) => Same(existing.Settings, window) ? existing : (Copy(window), Create(window)));
        using var lease = entry.Limiter.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(Math.Max(1, window.WindowSeconds));
    }

    private static bool Same(SyncWindow a, SyncWindow b) => a.PermitLimit == b.PermitLimit && a.WindowSeconds == b.WindowSeconds;

    private static SyncWindow Copy(SyncWindow w) => new() { PermitLimit = w.PermitLimit, WindowSeconds = w.WindowSeconds };

    private static FixedWindowRateLimiter Create(SyncWindow window) => new(new FixedWindowRateLimiterOptions
    {
        PermitLimit = window.PermitLimit,
        Window = TimeSpan.FromSeconds(Math.Max(1, window.WindowSeconds)),
        QueueLimit = 0,
        AutoReplenishment = true,
    });
}
