using System.Diagnostics.Metrics;

namespace RealtimeSync.Hub.Infrastructure.Http;

/// <summary>Request limits' instruments on the product meter (exported at /metrics).</summary>
public static class HttpMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");

    /// <summary>
    /// Requests refused by a limit, tag <c>limit</c>: <c>body-size</c> (413) here; rate limiters (sync, per client or
    /// tenant) add theirs with their own tag value.
    /// </summary>
    public static readonly Counter<long> LimitRejections = Meter.CreateCounter<long>("rs.rate_limit.rejections", description: "Requests refused by a limit (body size, rate limits) by limit");
}
