using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RealtimeSync.Hub.Infrastructure.Redis;

namespace RealtimeSync.Hub.Realtime.Backplane;

public static class BackplaneSetup
{
    /// <summary>
    /// Fans <see cref="SyncHub"/> out over Redis when <c>Redis:Configuration</c> is set, in-process otherwise.
    /// Call after <c>AddRealtime()</c>.
    /// </summary>
    public static WebApplicationBuilder AddRedisBackplane(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<RedisConnection>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp =>
        {
            var status = new BackplaneStatus(sp.GetRequiredService<TimeProvider>());
            RealtimeMetrics.Track(status);
            return status;
        });

        // Harmless for the in-process manager too: Clients.User(...) then means the token's subject in both modes.
        builder.Services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();

        // Decided when the hub first needs it, not here: the test host and `dotnet run` layer their settings
        // after Program.cs has registered its services (like AddPersistence). Only SyncHub scales out; the
        // admin's Blazor circuits are bound to the node that serves them and keep the in-process manager.
        builder.Services.AddSingleton<HubLifetimeManager<SyncHub>>(services =>
            services.GetRequiredService<RedisConnection>().IsConfigured
                ? ActivatorUtilities.CreateInstance<RedisHubLifetimeManager<SyncHub>>(services)
                : ActivatorUtilities.CreateInstance<DefaultHubLifetimeManager<SyncHub>>(services));
        return builder;
    }
}
