using StackExchange.Redis;

namespace RealtimeSync.Hub.Infrastructure.Redis;

/// <summary>The exceptions a Redis command ends with when Redis is unreachable or the connection drops under it.</summary>
public static class RedisFailure
{
    /// <summary>
    /// True for an outage: StackExchange.Redis's own exceptions and timeouts, and the socket's
    /// <see cref="IOException"/> (e.g. Pipelines.Sockets.Unofficial's <c>ConnectionResetException</c>), which a
    /// command in flight can end with, unwrapped, when the server goes away mid-write.
    /// </summary>
    public static bool IsOutage(Exception e) => e is RedisException or TimeoutException or IOException;
}
