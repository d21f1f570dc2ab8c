using Microsoft.Extensions.Diagnostics.HealthChecks;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Hosting;

namespace RealtimeSync.Hub.Backoffice;

/// <summary>Feeds the Dashboard from the same health checks as /health/ready.</summary>
public sealed class NodeStatusSource(NodeInfo node, HealthCheckService health, TimeProvider clock) : INodeStatusSource
{
    public async Task<NodeStatus> GetAsync(CancellationToken ct = default)
    {
        var report = await health.CheckHealthAsync(ct);
        var adapters = report.Entries.Select(e => new AdapterStatus(
            e.Key,
            KindOf(e.Key),
            StateOf(e.Value),
            e.Value.Description ?? "")).ToList();
        return new NodeStatus(node.NodeId, node.Version, node.StartedAt, node.Mode.Name, adapters, clock.GetUtcNow());
    }

    private string KindOf(string adapter) => adapter switch
    {
        "database" => node.Mode.Database,
        "redis" => node.Mode.FanOut,
        "blobs" => node.Mode.Blobs,
        _ => "",
    };

    private static AdapterState StateOf(HealthReportEntry entry) =>
        entry.Data.TryGetValue("configured", out var configured) && configured is false
            ? AdapterState.NotConfigured
            : entry.Status switch
            {
                HealthStatus.Healthy => AdapterState.Healthy,
                HealthStatus.Degraded => AdapterState.Degraded,
                _ => AdapterState.Unhealthy,
            };
}
