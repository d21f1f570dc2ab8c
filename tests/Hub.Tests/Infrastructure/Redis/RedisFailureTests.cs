using System.Net.Sockets;
using RealtimeSync.Hub.Infrastructure.Redis;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Tests.Infrastructure.Redis;

public sealed class RedisFailureTests
{
    /// <summary>
    /// A publish made while the test's Redis was being killed once ended with the socket's own exception, not a
    /// RedisException, and escaped the outage handling to the caller (History.RedisOutageTests, 1 run in 5 on a
    /// loaded machine). Every Redis caller's catch now asks <see cref="RedisFailure.IsOutage"/>.
    /// </summary>
    [Fact]
    public void A_connection_reset_mid_command_is_an_outage()
    {
        Assert.True(RedisFailure.IsOutage(new Pipelines.Sockets.Unofficial.ConnectionResetException("Connection reset by peer",
            new SocketException((int)SocketError.ConnectionReset))));
        Assert.True(RedisFailure.IsOutage(new IOException("broken pipe")));
    }

    [Fact]
    public void StackExchange_Redis_failures_and_timeouts_are_outages()
    {
        Assert.True(RedisFailure.IsOutage(new RedisConnectionException(ConnectionFailureType.SocketFailure, "down")));
        Assert.True(RedisFailure.IsOutage(new RedisTimeoutException("slow", CommandStatus.Sent)));
        Assert.True(RedisFailure.IsOutage(new TimeoutException()));
    }

    [Fact]
    public void Programming_errors_are_not_outages()
    {
        Assert.False(RedisFailure.IsOutage(new ArgumentException("bad channel")));
        Assert.False(RedisFailure.IsOutage(new NullReferenceException()));
    }
}
