using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Redis;
using RealtimeSync.Hub.Infrastructure.Storage;

namespace RealtimeSync.Hub.Infrastructure.Health;

/// <summary>The database answers a query (not merely "a connection string exists").</summary>
public sealed class DatabaseHealthCheck(RealtimeSyncDb db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var provider = db.Database.ProviderName?.Contains("Npgsql", StringComparison.Ordinal) == true ? "postgresql" : "sqlite";
        var data = new Dictionary<string, object> { ["provider"] = provider };
        try
        {
            var tenants = await db.Tenants.CountAsync(ct);
            data["tenants"] = tenants;
            return HealthCheckResult.Healthy($"{provider} answers", data);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{provider} does not answer: {e.GetType().Name}", e, data);
        }
    }
}

public sealed class BlobStoreHealthCheck(IBlobStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var data = new Dictionary<string, object> { ["kind"] = store.Kind };
        try
        {
            await store.ProbeAsync(ct);
            return HealthCheckResult.Healthy($"{store.Kind} blob store answers", data);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{store.Kind} blob store does not answer: {e.GetType().Name}", e, data);
        }
    }
}

/// <summary>Healthy with <c>configured=false</c> in embedded mode; a configured Redis must answer PING.</summary>
public sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (!redis.IsConfigured)
        {
            return HealthCheckResult.Healthy("not configured (in-process fan-out)", new Dictionary<string, object> { ["configured"] = false });
        }

        var data = new Dictionary<string, object> { ["configured"] = true };
        try
        {
            var rtt = await redis.PingAsync(TimeSpan.FromSeconds(2));
            data["pingMs"] = Math.Round(rtt.TotalMilliseconds, 2);
            return HealthCheckResult.Healthy("redis answers", data);
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"redis does not answer: {e.GetType().Name}", e, data);
        }
    }
}
