using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Http;

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

    /// <summary>
    /// The 429 answer for a refused request (sync/up, sync/down, documents/sync share the budget: a client's sync is
    /// all of them), with <c>Retry-After</c>, counted in <c>rs_rate_limit_rejections_total{limit="sync-client|sync-tenant"}</c>.
    /// </summary>
    public static ProblemHttpResult Refusal(HttpContext http, (string Scope, TimeSpan RetryAfter) limited)
    {
        HttpMetrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "sync-" + limited.Scope));
        var seconds = Math.Max(1, (int)Math.Ceiling(limited.RetryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApiProblem.Of(StatusCodes.Status429TooManyRequests, "Too many sync requests",
            $"The {limited.Scope}'s sync rate limit is reached; retry after {seconds} s.", limited.Scope == "tenant" ? "tenant" : "clientId");
    }

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
