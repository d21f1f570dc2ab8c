using StackExchange.Redis;

namespace RealtimeSync.Hub.Realtime.Backplane.Internal;

/// <summary>
/// The Redis channel names of one deployment: <c>{prefix}:all</c>, <c>{prefix}:group:{name}</c>,
/// <c>{prefix}:conn:{id}</c>, <c>{prefix}:user:{id}</c>, <c>{prefix}:internal:groups</c> and
/// <c>{prefix}:internal:ack:{node}</c>. The prefix lets several deployments share one Redis.
/// </summary>
internal sealed class BackplaneChannels(string prefix, string nodeId)
{
    private readonly string groupPrefix = $"{prefix}:group:";
    private readonly string connectionPrefix = $"{prefix}:conn:";
    private readonly string userPrefix = $"{prefix}:user:";

    public string All { get; } = $"{prefix}:all";

    public string GroupCommands { get; } = $"{prefix}:internal:groups";

    /// <summary>Where other nodes acknowledge this node's group commands (and where its probes come back).</summary>
    public string Acks { get; } = $"{prefix}:internal:ack:{nodeId}";

    public string Group(string name) => groupPrefix + name;

    public string Connection(string connectionId) => connectionPrefix + connectionId;

    public string User(string userId) => userPrefix + userId;

    public string AcksOf(string node) => $"{prefix}:internal:ack:{node}";

    public bool TryGroup(string channel, out string name) => TryStrip(channel, groupPrefix, out name);

    public bool TryConnection(string channel, out string connectionId) => TryStrip(channel, connectionPrefix, out connectionId);

    public bool TryUser(string channel, out string userId) => TryStrip(channel, userPrefix, out userId);

    /// <summary>
    /// Always literal: the implicit string conversion would make a group named <c>a*</c> a pattern
    /// subscription (PSUBSCRIBE) that also receives other groups' messages.
    /// </summary>
    public static RedisChannel Literal(string name) => new(name, RedisChannel.PatternMode.Literal);

    private static bool TryStrip(string channel, string start, out string rest)
    {
        if (channel.StartsWith(start, StringComparison.Ordinal))
        {
            rest = channel[start.Length..];
            return true;
        }

        rest = "";
        return false;
    }
}
