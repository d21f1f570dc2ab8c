using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Locking;
using RealtimeSync.Hub.Infrastructure.Redis;

namespace RealtimeSync.Hub.Tests.Locking;

/// <summary>
/// One node's share of a singleton job: its own Redis connection, lock and runner, as a host builds them.
/// <see cref="KillAsync"/> closes the connection without releasing anything, as a crashed process would.
/// </summary>
internal sealed class LockNode : IAsyncDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly Task running;

    public LockNode(string name, string redis, string prefix, ISingletonJob job, int ttlSeconds)
    {
        Name = name;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = redis,
            ["Redis:ChannelPrefix"] = prefix,
        }).Build();
        Connection = new RedisConnection(configuration);
        Lock = new RedisDistributedLock(Connection, configuration, NullLogger<RedisDistributedLock>.Instance);
        Fenced = new RedisFencedWrites(Connection, configuration);
        var options = new ServiceCollection().Configure<SingletonJobOptions>(o => o.TtlSeconds = ttlSeconds).BuildServiceProvider()
            .GetRequiredService<IOptionsMonitor<SingletonJobOptions>>();
        Runner = new SingletonJobRunner(job, Lock, options, name, NullLogger.Instance);
        running = Runner.StartAsync(stopping.Token);
    }

    public string Name { get; }

    public RedisConnection Connection { get; }

    public RedisDistributedLock Lock { get; }

    public RedisFencedWrites Fenced { get; }

    public SingletonJobRunner Runner { get; }

    /// <summary>Graceful stop: the running pass is cancelled and the lock released.</summary>
    public async Task StopAsync()
    {
        await running;
        await Runner.StopAsync(CancellationToken.None);
    }

    /// <summary>The process dies: no release; the lock expires after its TTL.</summary>
    public void Kill() => Connection.Multiplexer.Close(allowCommandsToComplete: false);

    public async ValueTask DisposeAsync()
    {
        await Runner.StopAsync(CancellationToken.None);
        Runner.Dispose();
        Connection.Dispose();
    }
}
