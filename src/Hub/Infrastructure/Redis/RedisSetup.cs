namespace RealtimeSync.Hub.Infrastructure.Redis;

public static class RedisSetup
{
    /// <summary>
    /// The one owner of the node's Redis connection (<see cref="RedisConnection"/>). Features ask it whether
    /// Redis is configured when the host runs: the test host layers its settings after Program.cs.
    /// </summary>
    public static WebApplicationBuilder AddRedis(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RedisConnection>();
        return builder;
    }
}
