using RealtimeSync.Hub.Infrastructure.Locking;

namespace RealtimeSync.Hub.Realtime;

public static class RealtimeSetup
{
    /// <summary>Starts and stops the history when it has background work (the Redis fan-out).</summary>
    private sealed class HistoryLifetime(IChannelHistory history) : IHostedService
    {
        public Task StartAsync(CancellationToken ct) => history is IHostedService hosted ? hosted.StartAsync(ct) : Task.CompletedTask;

        public Task StopAsync(CancellationToken ct) => history is IHostedService hosted ? hosted.StopAsync(ct) : Task.CompletedTask;
    }

    public static WebApplicationBuilder AddRealtime(this WebApplicationBuilder builder)
    {
        // JSON, and MessagePack for clients that ask for it (same shapes: see JsonShapedMessagePack).
        builder.Services.AddSignalR(options => options.MaximumReceiveMessageSize = 64 * 1024)
            .AddJsonProtocol()
            .AddMessagePackProtocol(options => options.SerializerOptions = JsonShapedMessagePack.Options);
        // Redis history (shared by every node, with the cross-node fan-out) when Redis is configured,
        // decided when the host runs: the test host layers its settings after Program.cs.
        builder.Services.AddSingleton<InMemoryChannelHistory>();
        builder.Services.AddSingleton<RedisChannelHistory>();
        builder.Services.AddSingleton<IChannelHistory>(sp => sp.GetRequiredService<Infrastructure.Redis.RedisConnection>().IsConfigured
            ? sp.GetRequiredService<RedisChannelHistory>()
            : sp.GetRequiredService<InMemoryChannelHistory>());
        builder.Services.AddHostedService<HistoryLifetime>();
        builder.Services.AddSingleton<ChannelSubscriptions>();
        builder.Services.AddOptions<RealtimeLimitsOptions>().BindConfiguration(RealtimeLimitsOptions.Section);
        builder.Services.AddSingleton<ConnectionLimits>();
        builder.Services.AddSingleton<ChannelFanOut>();
        builder.Services.AddSingleton<ChannelPublisher>();
        builder.Services.AddSingleton<PresenceTracker>();
        builder.Services.AddSingletonJob<PresenceCleanupJob>();
        builder.Services.AddSingleton<Cluster.ClusterRegistry>();
        builder.Services.AddHostedService<Cluster.ClusterHeartbeat>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRealtime(this IEndpointRouteBuilder app)
    {
        // A connection lives no longer than the token that opened it; clients reconnect with a fresh one.
        app.MapHub<SyncHub>("/hubs/sync", options => options.CloseOnAuthenticationExpiration = true);
        return app;
    }
}
