using RealtimeSync.Hub.Infrastructure.Locking;
using RealtimeSync.Hub.Sync.Internal;

namespace RealtimeSync.Hub.Sync;

public static class SyncSetup
{
    public static WebApplicationBuilder AddSync(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<SyncOptions>(builder.Configuration.GetSection("Sync"));
        builder.Services.AddScoped<SyncService>();
        builder.Services.AddSingleton<SyncPushes>();
        builder.Services.AddSingleton<ClientLocks>();
        builder.Services.AddSingleton<SyncRateLimits>();
        builder.Services.AddHostedService<SyncNotifier>();
        builder.Services.AddSingletonJob<SyncJanitor>();
        return builder;
    }
}
