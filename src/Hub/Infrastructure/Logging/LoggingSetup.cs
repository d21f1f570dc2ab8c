using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Json;

namespace RealtimeSync.Hub.Infrastructure.Logging;

public static class LoggingSetup
{
    /// <summary>
    /// Serilog behind Microsoft.Extensions.Logging (Serilog.AspNetCore is not obtainable here).
    /// <c>Logging:Format</c> = text (default) | json; <c>Logging:File</c> adds a daily rolling file;
    /// levels come from the <c>Serilog:MinimumLevel</c> section.
    /// </summary>
    public static WebApplicationBuilder AddStructuredLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        // Built from the final configuration (the test host layers its settings after Program.cs runs).
        builder.Services.AddSingleton<ILoggerProvider>(sp => new SerilogLoggerProvider(Create(sp.GetRequiredService<IConfiguration>()), dispose: true));
        return builder;
    }

    private static Serilog.ILogger Create(IConfiguration configuration)
    {
        var logger = new LoggerConfiguration()
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

        return logger.CreateLogger();
    }
}
