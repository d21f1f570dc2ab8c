using System.Globalization;
using System.Text.Json;
using RealtimeSync.Hub.Infrastructure.Redis;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Config.Internal;

/// <summary>
/// The Redis side of the store, under <c>{Redis:ChannelPrefix}:config:</c>: <c>values</c> (hash key → value
/// document), <c>versions</c> (hash key → version), <c>version</c> (global counter, +1 per write),
/// <c>history</c> (list, newest first, capped) and the pub/sub channel <c>changed</c> (carries the global version).
/// Each write is one Lua script: version check, value, counters, history and the publish happen together.
/// </summary>
internal sealed class ConfigRedis(RedisConnection redis, IConfiguration configuration)
{
    /// <summary>Shorter than StackExchange.Redis's own 5 s async timeout: a hung Redis must not hold up a config read for long.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private const int HistoryMax = 1000;

    private const string WriteScript = """
        local v = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
        if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= v then return {0, v, 0} end
        v = v + 1
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('HSET', KEYS[2], ARGV[1], v)
        local g = redis.call('INCR', KEYS[3])
        redis.call('LPUSH', KEYS[4], cjson.encode({key = ARGV[1], version = v, value = ARGV[4], updatedBy = ARGV[5], updatedAt = ARGV[6]}))
        redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[7]) - 1)
        redis.call('PUBLISH', ARGV[8], g)
        return {1, v, g}
        """;

    private const string ReadScript = """
        return {redis.call('GET', KEYS[3]) or '0', redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
        """;

    public bool IsConfigured => redis.IsConfigured;

    private string Prefix => configuration["Redis:ChannelPrefix"] is { Length: > 0 } prefix ? $"{prefix}:config:" : "rs:config:";

    public string ChangedChannel => Prefix + "changed";

    public IConnectionMultiplexer Multiplexer => redis.Multiplexer;

    private RedisKey[] Keys => [Prefix + "values", Prefix + "versions", Prefix + "version", Prefix + "history"];

    public async Task<long> VersionAsync()
    {
        var value = await redis.Multiplexer.GetDatabase().StringGetAsync(Prefix + "version").WaitAsync(Timeout);
        return value.IsNull ? 0 : (long)value;
    }

    /// <summary>Every value in Redis (valid or not) and the global version.</summary>
    public async Task<(long Version, Dictionary<string, StoredValue> Values)> ReadAsync()
    {
        var result = (RedisResult[])(await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(ReadScript, Keys).WaitAsync(Timeout))!;
        var version = long.Parse((string)result[0]!, CultureInfo.InvariantCulture);
        var docs = Pairs((RedisResult[])result[1]!);
        var versions = Pairs((RedisResult[])result[2]!);
        var values = new Dictionary<string, StoredValue>(StringComparer.Ordinal);
        foreach (var (key, doc) in docs)
        {
            try
            {
                var parsed = JsonSerializer.Deserialize<Document>(doc, JsonSerializerOptions.Web)!;
                values[key] = new StoredValue(parsed.Value, versions.TryGetValue(key, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : 0, parsed.UpdatedAt, parsed.UpdatedBy ?? "");
            }
            catch (JsonException)
            {
                values[key] = new StoredValue(default, 0, default, ""); // reported as invalid by the store
            }
        }

        return (version, values);
    }

    /// <summary>Writes unless <paramref name="expectedVersion"/> is given and is not the key's version: (written, key version, global version).</summary>
    public async Task<(bool Written, long Version, long Global)> WriteAsync(ConfigKey key, JsonElement value, long? expectedVersion, string actor, DateTimeOffset at)
    {
        var doc = JsonSerializer.Serialize(new Document(value, at, actor), JsonSerializerOptions.Web);
        RedisValue[] args =
        [
            key.Name, doc, expectedVersion?.ToString(CultureInfo.InvariantCulture) ?? "", key.Display(value), actor,
            at.ToString("O", CultureInfo.InvariantCulture), HistoryMax, ChangedChannel,
        ];
        var result = (RedisResult[])(await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(WriteScript, Keys, args).WaitAsync(Timeout))!;
        return ((long)result[0] == 1, (long)result[1], (long)result[2]);
    }

    public async Task<IReadOnlyList<ConfigChange>> HistoryAsync(int limit)
    {
        var items = await redis.Multiplexer.GetDatabase().ListRangeAsync(Keys[3], 0, limit - 1).WaitAsync(Timeout);
        return items.Select(i => JsonSerializer.Deserialize<ConfigChange>((string)i!, JsonSerializerOptions.Web)!).ToList();
    }

    /// <summary>Test and repair hook: writes a raw document without any check (what a hand edit in redis-cli would do).</summary>
    internal Task WriteRawAsync(string key, string json) =>
        redis.Multiplexer.GetDatabase().HashSetAsync(Keys[0], key, JsonSerializer.Serialize(new Document(ConfigJson.Parse(json), DateTimeOffset.UnixEpoch, "raw"), JsonSerializerOptions.Web));

    private static Dictionary<string, string> Pairs(RedisResult[] flat)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            map[(string)flat[i]!] = (string)flat[i + 1]!;
        }

        return map;
    }

    private sealed record Document(JsonElement Value, DateTimeOffset UpdatedAt, string? UpdatedBy);
}
