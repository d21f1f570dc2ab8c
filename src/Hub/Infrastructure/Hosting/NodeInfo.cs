using System.Reflection;

namespace RealtimeSync.Hub.Infrastructure.Hosting;

/// <summary>Identity of this host process: what the dashboard and logs call it.</summary>
public sealed class NodeInfo
{
    public NodeInfo(IConfiguration configuration, TimeProvider clock)
    {
        var configured = configuration["Node:Id"];
        NodeId = string.IsNullOrWhiteSpace(configured)
            ? $"{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid().ToString("N")[..6]}"
            : configured;
        Version = typeof(NodeInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        StartedAt = clock.GetUtcNow();
        Mode = HostMode.From(configuration);
    }

    public string NodeId { get; }

    public string Version { get; }

    public DateTimeOffset StartedAt { get; }

    public HostMode Mode { get; }
}

/// <summary>
/// Which adapters are in use. "embedded" means everything runs in-process with local files;
/// any configured server makes the node "production" for that adapter.
/// </summary>
public sealed record HostMode(bool Postgres, bool Redis, bool S3)
{
    public static HostMode From(IConfiguration configuration) => new(
        !string.IsNullOrWhiteSpace(configuration.GetConnectionString("Postgres")),
        !string.IsNullOrWhiteSpace(configuration["Redis:Configuration"]),
        !string.IsNullOrWhiteSpace(configuration["Storage:S3:Bucket"]));

    public string Name => Postgres || Redis || S3 ? "production" : "embedded";

    public string Database => Postgres ? "postgresql" : "sqlite";

    public string FanOut => Redis ? "redis" : "in-process";

    public string Blobs => S3 ? "s3" : "local";
}
