using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Redis;

namespace RealtimeSync.Hub.Infrastructure.Locking;

public static class LockingSetup
{
    /// <summary>The distributed lock and fenced writes (Redis when configured, in-process otherwise), decided when the host runs.</summary>
    public static WebApplicationBuilder AddLocking(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SingletonJobOptions>().BindConfiguration("Locking");
        builder.Services.AddSingleton<RedisDistributedLock>();
        builder.Services.AddSingleton<InProcessDistributedLock>();
        builder.Services.AddSingleton<IDistributedLock>(sp => sp.GetRequiredService<RedisConnection>().IsConfigured
            ? sp.GetRequiredService<RedisDistributedLock>()
            : sp.GetRequiredService<InProcessDistributedLock>());
        builder.Services.AddSingleton<IFencedWrites>(sp => sp.GetRequiredService<RedisConnection>().IsConfigured
            ? ActivatorUtilities.CreateInstance<RedisFencedWrites>(sp)
            : new InProcessFencedWrites());
        return builder;
    }

    /// <summary>Runs <typeparamref name="TJob"/> on one node at a time (one line per singleton background job).</summary>
    public static IServiceCollection AddSingletonJob<TJob>(this IServiceCollection services)
        where TJob : class, ISingletonJob
    {
        services.AddSingleton<TJob>();
        services.AddSingleton<IHostedService>(sp => new SingletonJobRunner(
            sp.GetRequiredService<TJob>(),
            sp.GetRequiredService<IDistributedLock>(),
            sp.GetRequiredService<IOptionsMonitor<SingletonJobOptions>>(),
            sp.GetRequiredService<NodeInfo>().NodeId,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger($"RealtimeSync.Hub.Jobs.{typeof(TJob).Name}"),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
