using Microsoft.AspNetCore.SignalR;
using RealtimeSync.Shared.Auth;
using Serilog;
using Serilog.Context;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Json;

namespace RealtimeSync.Hub.Infrastructure.Logging;

public static class LoggingSetup
{
    /// <summary>
    /// Serilog through Serilog.AspNetCore. <c>Logging:Format</c> = text (default) | json; <c>Logging:File</c>
    /// adds a daily rolling JSON file; levels come from the <c>Serilog:MinimumLevel</c> section. Every event
    /// carries the node id; hub method logs carry the connection id.
    /// </summary>
    public static WebApplicationBuilder AddStructuredLogging(this WebApplicationBuilder builder)
    {
        // Built from the final configuration (the test host layers its settings after Program.cs runs). The
        // static Log.Logger is left alone: each host (several run in one test process) has its own logger.
        builder.Services.AddSerilog((services, logger) => Configure(logger, services.GetRequiredService<IConfiguration>()), preserveStaticLogger: true);
        // AddSerilog registers Serilog's own ILoggerFactory, which makes a new logger (with its own Serilog
        // logger and event-id cache) on every CreateLogger call. SignalR and Kestrel ask for theirs per
        // connection, so that cost ≈ 3 KiB of every idle hub connection (bench/run-connection-memory.sh).
        // Microsoft's LoggerFactory keeps one logger per category; Serilog stays its only provider, decides
        // the levels (no filter here), and is disposed (flushed) with the factory as before.
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(services =>
        {
            var factory = new LoggerFactory([], new LoggerFilterOptions { MinLevel = LogLevel.Trace });
            factory.AddProvider(new SerilogLoggerProvider(services.GetRequiredService<Serilog.ILogger>(), dispose: true));
            return factory;
        }));
        builder.Services.AddSignalR(options => options.AddFilter<ConnectionLogScope>());
        return builder;
    }

    /// <summary>
    /// One line per request (method, path without the query string, status, time), enriched with node,
    /// tenant, user, document id and SignalR connection id where known. Tokens travel in headers or the
    /// query string (<c>access_token</c> for WebSockets), neither of which is logged.
    /// </summary>
    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>(); // this host's, not the static one
            // Health probes every few seconds would drown everything else at Information.
            options.GetLevel = (context, _, error) => error is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
                : context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Debug
                : LogEventLevel.Information;
            options.EnrichDiagnosticContext = Enrich;
        });
        return app;
    }

    private static void Enrich(IDiagnosticContext diagnostics, HttpContext context)
    {
        var tenant = context.GetRouteValue("tenant") as string ?? context.User.FindFirst(ClaimNames.Tenant)?.Value;
        if (tenant is not null)
        {
            diagnostics.Set("Tenant", tenant);
        }

        if (context.User.FindFirst(ClaimNames.Subject)?.Value is { } user)
        {
            diagnostics.Set("User", user);
        }
        else if (context.User.Identity is { IsAuthenticated: true, Name: { } name })
        {
            diagnostics.Set("User", name);
        }

        if (context.Request.Path.StartsWithSegments("/api/tenants") && context.Request.Path.Value!.Contains("/documents/", StringComparison.Ordinal)
            && context.GetRouteValue("id") is string documentId)
        {
            diagnostics.Set("DocumentId", documentId);
        }

        if (context.Items.TryGetValue(ConnectionLogScope.ItemKey, out var connectionId))
        {
            diagnostics.Set("ConnectionId", connectionId);
        }
    }

    private static void Configure(LoggerConfiguration logger, IConfiguration configuration)
    {
        logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .Filter.ByExcluding(ExpectedHubErrors.IsClientRefusal)
            .Enrich.FromLogContext()
            .Enrich.With(new ControlCharacterEscaper())
            .Enrich.WithProperty("NodeId", configuration["Node:Id"] ?? Environment.MachineName);
        if (configuration.GetSection("Serilog").Exists())
        {
            logger.ReadFrom.Configuration(configuration);
        }

        if (string.Equals(configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            logger.WriteTo.Console(new JsonFormatter(renderMessage: true));
        }
        else
        {
            logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }

        if (configuration["Logging:File"] is { Length: > 0 } file)
        {
            logger.WriteTo.File(new JsonFormatter(renderMessage: true), file, rollingInterval: RollingInterval.Day);
        }
    }

    /// <summary>
    /// Hub method logs carry the SignalR connection id, and the request line of a hub connection names it
    /// (the transport request lives as long as the connection).
    /// </summary>
    private sealed class ConnectionLogScope : IHubFilter
    {
        public const string ItemKey = "rs.connection-id";

        public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
        {
            using (LogContext.PushProperty("ConnectionId", invocationContext.Context.ConnectionId))
            {
                return await next(invocationContext);
            }
        }

        public Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
        {
            if (context.Context.GetHttpContext() is { } http)
            {
                http.Items[ItemKey] = context.Context.ConnectionId;
            }

            return next(context);
        }
    }
}
