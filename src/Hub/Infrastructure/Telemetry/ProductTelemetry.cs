using RealtimeSync.Hub.Infrastructure.Hosting;

using System.Diagnostics;

namespace RealtimeSync.Hub.Infrastructure.Telemetry;

/// <summary>
/// Names of the product's meter and activity source, and the span attributes every product span carries.
/// Features create their own <c>new Meter(ProductTelemetry.MeterName)</c> instruments; OpenTelemetry
/// (<see cref="TelemetrySetup"/>) collects them with the framework's meters.
/// </summary>
public static class ProductTelemetry
{
    public const string MeterName = "RealtimeSync";

    public const string SourceName = "RealtimeSync";

    /// <summary>Span attribute names (see README "Traces").</summary>
    public const string TenantTag = "rs.tenant";

    public const string NodeTag = "rs.node";

    public const string ChannelTag = "rs.channel";

    public const string EntityTypeTag = "rs.entity.type";

    public const string EntityIdTag = "rs.entity.id";

    public const string DocumentIdTag = "rs.document.id";

    public const string ClientIdTag = "rs.client.id";

    /// <summary>Process-wide like every ActivitySource; the node id is added per host by <see cref="Tracing"/>.</summary>
    internal static readonly ActivitySource Source = new(SourceName);
}

/// <summary>
/// Starts the product's spans with this node's id on them. One per host: several hosts share the process-wide
/// source in the tests, so the node cannot be a property of the source or of a processor.
/// </summary>
public sealed class Tracing(NodeInfo node)
{
    public Activity? Start(string name, string? tenant, ActivityKind kind = ActivityKind.Internal, ActivityContext parent = default)
    {
        var activity = ProductTelemetry.Source.StartActivity(name, kind, parent);
        if (activity is not null)
        {
            activity.SetTag(ProductTelemetry.NodeTag, node.NodeId);
            if (tenant is not null)
            {
                activity.SetTag(ProductTelemetry.TenantTag, tenant);
            }
        }

        return activity;
    }
}
