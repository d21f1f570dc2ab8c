using Microsoft.Extensions.DependencyInjection.Extensions;
using RealtimeSync.Hub.Config.Internal;
using RealtimeSync.Hub.Infrastructure.Health;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Redis;

namespace RealtimeSync.Hub.Config;

public static class ConfigSetup
{
    /// <summary>
    /// The config store as the top configuration source for the keys it manages (after appsettings.json,
    /// environment and command line), its watcher, its health check and /api/config.
    /// </summary>
    public static WebApplicationBuilder AddConfigStore(this WebApplicationBuilder builder)
    {
        var source = new StoreConfigurationSource();
        ((IConfigurationBuilder)builder.Configuration).Add(source);
        builder.Services.AddSingleton(sp =>
        {
            var store = new ConfigStore(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<RedisConnection>(), sp.GetRequiredService<DataDirectory>(),
                source, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ConfigStore>>());
            ConfigMetrics.Track(store);
            return store;
        });
        builder.Services.AddHostedService<ConfigWatcher>();
        builder.Services.AddHealthChecks().AddCheck<ConfigHealthCheck>("config", tags: [HealthSetup.ReadyTag]);
        return builder;
    }

    public static IEndpointRouteBuilder MapConfigStore(this IEndpointRouteBuilder app) => app.MapConfigApi();
}
