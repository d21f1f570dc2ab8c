namespace RealtimeSync.Hub.Realtime;

public static class RealtimeSetup
{
    public static WebApplicationBuilder AddRealtime(this WebApplicationBuilder builder)
    {
        builder.Services.AddSignalR(options => options.MaximumReceiveMessageSize = 64 * 1024).AddJsonProtocol();
        builder.Services.AddSingleton<IChannelHistory, InMemoryChannelHistory>();
        builder.Services.AddSingleton<ChannelSubscriptions>();
        builder.Services.AddSingleton<ChannelFanOut>();
        builder.Services.AddSingleton<ChannelPublisher>();
        builder.Services.AddSingleton<PresenceTracker>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRealtime(this IEndpointRouteBuilder app)
    {
        // A connection lives no longer than the token that opened it; clients reconnect with a fresh one.
        app.MapHub<SyncHub>("/hubs/sync", options => options.CloseOnAuthenticationExpiration = true);
        return app;
    }
}
