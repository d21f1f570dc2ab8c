using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Redis;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Realtime.Backplane;

public static class BackplaneSetup
{
    /// <summary>
    /// Fans <see cref="SyncHub"/> out over the official SignalR Redis backplane when <c>Redis:Configuration</c>
    /// is set, in-process otherwise; either way under <see cref="NodeHubLifetimeManager{THub}"/>. Call after
    /// <c>AddRealtime()</c> and <c>AddRedis()</c>.
    /// </summary>
    public static WebApplicationBuilder AddRedisBackplane(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp =>
        {
            var status = new BackplaneStatus(sp.GetRequiredService<TimeProvider>());
            RealtimeMetrics.Track(status);
            return status;
        });

        // Harmless for the in-process manager too: Clients.User(...) then means the token's subject in both modes.
        builder.Services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();

        // The backplane gets the node's one multiplexer and the channel prefix, read when the host runs.
        builder.Services.AddSignalR().AddStackExchangeRedis();
        builder.Services.AddOptions<RedisOptions>().Configure<RedisConnection, IConfiguration>((options, redis, configuration) =>
        {
            options.Configuration.ChannelPrefix = RedisChannel.Literal(ChannelPrefix(configuration));
            options.ConnectionFactory = _ => Task.FromResult(redis.Multiplexer);
        });

        // AddStackExchangeRedis puts every hub on Redis. Only SyncHub scales out: the admin's Blazor circuits
        // are bound to the node that serves them, and on Redis they would fail to connect while it is down.
        builder.Services.RemoveAll(typeof(HubLifetimeManager<>));
        builder.Services.AddSingleton(typeof(HubLifetimeManager<>), typeof(DefaultHubLifetimeManager<>));

        // Decided when the hub first needs it, not here: the test host and `dotnet run` layer their settings
        // after Program.cs has registered its services (like AddPersistence).
        builder.Services.AddSingleton(services =>
        {
            var redis = services.GetRequiredService<RedisConnection>();
            var configuration = services.GetRequiredService<IConfiguration>();
            HubLifetimeManager<SyncHub> inner = redis.IsConfigured
                ? ActivatorUtilities.CreateInstance<RedisHubLifetimeManager<SyncHub>>(services)
                : ActivatorUtilities.CreateInstance<DefaultHubLifetimeManager<SyncHub>>(services);
            return new NodeHubLifetimeManager<SyncHub>(
                inner,
                redis.IsConfigured ? redis.Multiplexer : null,
                services.GetRequiredService<BackplaneStatus>(),
                TimeSpan.FromMilliseconds(configuration.GetValue("Redis:Backplane:AckTimeoutMs", 5000)),
                services.GetRequiredService<ILogger<NodeHubLifetimeManager<SyncHub>>>());
        });
        builder.Services.AddSingleton<HubLifetimeManager<SyncHub>>(services => services.GetRequiredService<NodeHubLifetimeManager<SyncHub>>());
        return builder;
    }

    /// <summary><c>Redis:ChannelPrefix</c>, "rs" by default; the product's own Redis keys and channels start with it too.</summary>
    public static string ChannelPrefix(IConfiguration configuration) =>
        configuration["Redis:ChannelPrefix"] is { Length: > 0 } prefix ? prefix : "rs";
}
