using StackExchange.Redis;

namespace RealtimeSync.Hub.Infrastructure.Redis;

/// <summary>
/// The node's single Redis multiplexer, created on first use when <c>Redis:Configuration</c> is set. Every
/// feature (channel history, presence, cluster view, config store, lock, and SignalR's Redis backplane
/// through its <c>ConnectionFactory</c>) uses this one, so a node opens one set of Redis connections.
/// </summary>
/// <remarks>
/// AbortOnConnectFail is off so a node starts (and keeps serving local work) while Redis is down; the
/// multiplexer reconnects and restores its subscriptions by itself. Commands fail fast while it is
/// disconnected instead of waiting in StackExchange.Redis's backlog: the callers have a local answer for
/// an outage (the outage buffer, local delivery) and must not be held up for the command timeout.
/// </remarks>
public sealed class RedisConnection(IConfiguration configuration) : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> multiplexer = new(() => Connect(configuration["Redis:Configuration"]!));

    public bool IsConfigured => !string.IsNullOrWhiteSpace(configuration["Redis:Configuration"]);

    public IConnectionMultiplexer Multiplexer => IsConfigured
        ? multiplexer.Value
        : throw new InvalidOperationException("Redis is not configured (Redis:Configuration is empty).");

    /// <summary>Round-trip time of a PING; throws when Redis does not answer within <paramref name="timeout"/>.</summary>
    public async Task<TimeSpan> PingAsync(TimeSpan timeout) => await Multiplexer.GetDatabase().PingAsync().WaitAsync(timeout);

    public void Dispose()
    {
        if (multiplexer.IsValueCreated)
        {
            multiplexer.Value.Dispose();
        }
    }

    private static ConnectionMultiplexer Connect(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 5000);
        return ConnectionMultiplexer.Connect(options);
    }
}
