using System.Collections.Concurrent;
using RealtimeSync.Hub.Infrastructure.Redis;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Infrastructure.Locking;

/// <summary>
/// Writes protected by a fencing token: a write is accepted only when its token is at least the highest token
/// accepted before for the same resource, checked and recorded atomically with the write. A stale lock owner
/// (its lease expired, a successor got a higher token and wrote) is refused.
/// </summary>
public interface IFencedWrites
{
    /// <summary>Appends <paramref name="entry"/> to the resource's log if <paramref name="fencingToken"/> is not stale; false when refused.</summary>
    Task<bool> AppendAsync(string resource, long fencingToken, string entry);

    /// <summary>The resource's accepted entries, oldest first.</summary>
    Task<IReadOnlyList<string>> ReadAsync(string resource);
}

/// <summary>Redis: one script compares the token with <c>{prefix}:fenced:{resource}:token</c>, records it and appends to <c>:log</c>.</summary>
public sealed class RedisFencedWrites(RedisConnection redis, IConfiguration configuration) : IFencedWrites
{
    private const string AppendScript = """
        local last = tonumber(redis.call('GET', KEYS[1]) or '0')
        local token = tonumber(ARGV[1])
        if token < last then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        redis.call('RPUSH', KEYS[2], ARGV[2])
        return 1
        """;

    private string Prefix => configuration["Redis:ChannelPrefix"] is { Length: > 0 } prefix ? prefix : "rs";

    public async Task<bool> AppendAsync(string resource, long fencingToken, string entry) =>
        (long)await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(AppendScript,
            [$"{Prefix}:fenced:{resource}:token", $"{Prefix}:fenced:{resource}:log"], [fencingToken, entry]) == 1;

    public async Task<IReadOnlyList<string>> ReadAsync(string resource) =>
        (await redis.Multiplexer.GetDatabase().ListRangeAsync($"{Prefix}:fenced:{resource}:log")).Select(v => (string)v!).ToList();
}

/// <summary>Embedded mode: the same rule under a lock per resource.</summary>
public sealed class InProcessFencedWrites : IFencedWrites
{
    private readonly ConcurrentDictionary<string, (long Token, List<string> Log)> resources = new(StringComparer.Ordinal);

    public Task<bool> AppendAsync(string resource, long fencingToken, string entry)
    {
        var state = resources.GetOrAdd(resource, _ => (0, []));
        lock (state.Log)
        {
            var current = resources[resource];
            if (fencingToken < current.Token)
            {
                return Task.FromResult(false);
            }

            current.Log.Add(entry);
            resources[resource] = (fencingToken, current.Log);
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<string>> ReadAsync(string resource)
    {
        if (!resources.TryGetValue(resource, out var state))
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }

        lock (state.Log)
        {
            return Task.FromResult<IReadOnlyList<string>>([.. state.Log]);
        }
    }
}
