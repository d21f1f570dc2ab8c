using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace RealtimeSync.Hub.Sync.Internal;

/// <summary>
/// Fixed-window request limits per sync client and per tenant, counted on this node. The window settings are
/// read on every request and are part of the partition key, so a configuration change applies to the next
/// request. The framework's partitioned limiter replenishes every window from one timer and disposes a
/// partition once it has been idle, so clients that come once and leave do not accumulate.
/// </summary>
internal sealed class SyncRateLimits(IOptionsMonitor<SyncOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<(string Key, int PermitLimit, int WindowSeconds)> limiter =
        PartitionedRateLimiter.Create<(string Key, int PermitLimit, int WindowSeconds), (string, int, int)>(partition =>
            RateLimitPartition.GetFixedWindowLimiter(partition, p => new FixedWindowRateLimiterOptions
            {
                PermitLimit = p.PermitLimit,
                Window = TimeSpan.FromSeconds(Math.Max(1, p.WindowSeconds)),
                QueueLimit = 0,
            }));

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

    public void Dispose() => limiter.Dispose();

    private TimeSpan? Refused(string key, SyncWindow window)
    {
        if (window.PermitLimit <= 0)
        {
            return null;
        }

        using var lease = limiter.AttemptAcquire((key, window.PermitLimit, window.WindowSeconds));
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(Math.Max(1, window.WindowSeconds));
    }
}
