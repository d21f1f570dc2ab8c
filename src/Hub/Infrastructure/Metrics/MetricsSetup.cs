namespace RealtimeSync.Hub.Infrastructure.Metrics;

public static class MetricsSetup
{
    public static WebApplicationBuilder AddMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PrometheusExporter>();
        return builder;
    }

    /// <summary>
    /// <c>GET /metrics</c>, Prometheus text, anonymous like /health (no tenant data in it: tenant is never a label).
    /// Keep it on the internal network.
    /// </summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        // Resolve at start so counters count from the start, not from the first scrape.
        var exporter = app.ServiceProvider.GetRequiredService<PrometheusExporter>();
        app.MapGet("/metrics", () => Results.Text(exporter.Render(), "text/plain; version=0.0.4; charset=utf-8"))
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }
}
