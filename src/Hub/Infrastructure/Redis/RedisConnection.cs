using StackExchange.Redis;

namespace RealtimeSync.Hub.Infrastructure.Redis;

/// <summary>
/// The node's single Redis multiplexer, created on first use when <c>Redis:Configuration</c> is set.
/// AbortOnConnectFail is off so a node starts (and keeps serving local work) while Redis is down; the
/// multiplexer reconnects by itself.
/// </summary>
public sealed class RedisConnection(IConfiguration configuration) : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> multiplexer = new(() => Connect(configuration["Redis:Configuration"]!));

    public bool IsConfigured => !string.IsNullOrWhiteSpace(configuration["Redis:Configuration"]);

    public ConnectionMultiplexer Multiplexer => IsConfigured
        ? multiplexer.Value
        : throw new InvalidOperationException("Redis is not configured (Redis:Configuration is empty).");

    /// <summary>Round-trip time of a PING; throws when Redis does not answer within <paramref name="timeout"/>.</summary>
    public async Task<TimeSpan> PingAsync(TimeSpan timeout)
    {
        var ping = Task.Run(() => Multiplexer.GetDatabase().PingAsync());
        if (await Task.WhenAny(ping, Task.Delay(timeout)) != ping)
        {
            throw new TimeoutException($"Redis did not answer PING within {timeout.TotalSeconds:0.#} s.");
        }

        return await ping;
    }

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
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 5000);
        return ConnectionMultiplexer.Connect(options);
    }
}
