using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RealtimeSync.Hub.Config;

/// <summary>Degraded (still 200 on /health/ready: the node serves) while redis-first falls back to last-known / file values.</summary>
public sealed class ConfigHealthCheck(ConfigStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var status = store.Status;
        var data = new Dictionary<string, object> { ["mode"] = status.Mode, ["version"] = status.Version, ["degraded"] = status.Degraded };
        if (status.Degraded)
        {
            data["since"] = status.Since!.Value;
            return Task.FromResult(HealthCheckResult.Degraded($"serving last-known/file values, writes refused: {status.Reason}", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"{status.Mode} store answers", data));
    }
}
