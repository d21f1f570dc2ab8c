using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RealtimeSync.Hub.Infrastructure.Hosting;

namespace RealtimeSync.Hub.Infrastructure.Telemetry;

/// <summary>
/// Metrics and traces through the OpenTelemetry SDK: the product's meter and activity source plus the framework's
/// (ASP.NET Core hosting and routing, Kestrel, SignalR's connections, the runtime, HttpClient, Npgsql), served at
/// <c>/metrics</c> by the OpenTelemetry Prometheus exporter and sent over OTLP when <c>OpenTelemetry:Endpoint</c> is set.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>The framework's meters the product exports besides its own (README "Metrics").</summary>
    public static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections", // SignalR's connections and their duration
        "Microsoft.AspNetCore.SignalR.Server",
        "Microsoft.AspNetCore.RateLimiting",
        "Npgsql",
    ];

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<Tracing>();
        var otlp = builder.Configuration["OpenTelemetry:Endpoint"];
        var protocol = string.Equals(builder.Configuration["OpenTelemetry:Protocol"], "http/protobuf", StringComparison.OrdinalIgnoreCase)
            ? OtlpExportProtocol.HttpProtobuf
            : OtlpExportProtocol.Grpc;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                serviceName: builder.Configuration["OpenTelemetry:ServiceName"] is { Length: > 0 } name ? name : "realtime-sync",
                serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString(),
                autoGenerateServiceInstanceId: false))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ProductTelemetry.MeterName)
                    .AddMeter(FrameworkMeters)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter(options =>
                    {
                        // A scrape right after an action must see it (the default caches responses for 300 ms).
                        options.ScrapeResponseCacheDurationMilliseconds = 0;
                        // Series keep the names and labels they had before OpenTelemetry (no otel_scope_* labels).
                        options.ScopeInfoEnabled = false;
                    });
                if (!string.IsNullOrWhiteSpace(otlp))
                {
                    metrics.AddOtlpExporter(o => Otlp(o, otlp, protocol, "v1/metrics"));
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(ProductTelemetry.SourceName, "Npgsql", "Microsoft.AspNetCore.SignalR.Server")
                    .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                        !context.Request.Path.StartsWithSegments("/metrics") && !context.Request.Path.StartsWithSegments("/health"))
                    .AddHttpClientInstrumentation();
                if (!string.IsNullOrWhiteSpace(otlp))
                {
                    tracing.AddOtlpExporter(o => Otlp(o, otlp, protocol, "v1/traces"));
                }
            });

        // The node id is known once the container is built (NodeInfo): it names this instance in target_info and OTLP.
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
            metrics.ConfigureResource(r => r.AddAttributes([new("service.instance.id", services.GetRequiredService<NodeInfo>().NodeId)])));
        builder.Services.ConfigureOpenTelemetryTracerProvider((services, tracing) =>
            tracing.ConfigureResource(r => r.AddAttributes([new("service.instance.id", services.GetRequiredService<NodeInfo>().NodeId)])));
        return builder;
    }

    /// <summary>
    /// <c>GET /metrics</c>, Prometheus text (OpenMetrics when the scraper asks for it), anonymous like /health: no
    /// tenant data in it (tenant is never a label). Keep it on the internal network.
    /// </summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static void Otlp(OtlpExporterOptions options, string endpoint, OtlpExportProtocol protocol, string signalPath)
    {
        options.Protocol = protocol;
        // With http/protobuf the configured base address gets the signal's path, as OTEL_EXPORTER_OTLP_ENDPOINT does.
        options.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(new Uri(endpoint.TrimEnd('/') + "/"), signalPath) : new Uri(endpoint);
    }
}
