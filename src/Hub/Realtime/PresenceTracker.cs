using System.Collections.Concurrent;
using System.Text.Json;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Redis;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Realtime;

/// <summary>One participant on a presence channel.</summary>
/// <param name="MemberId">Unique per participant session (a circuit or connection id).</param>
/// <param name="User">Display name.</param>
/// <param name="Since">When they joined.</param>
/// <param name="Node">The node that holds their session.</param>
public sealed record PresenceMember(string MemberId, string User, DateTimeOffset Since, string Node);

/// <summary>
/// Who is looking at or editing a resource ("also editing" in the admin), across every node. Joins and leaves
/// are published on <c>{tenant}/presence/{resource}</c>. With Redis, each member is an entry of the resource's
/// hash that expires unless its node renews it (<see cref="HeartbeatAsync"/>): a node that dies without saying
/// goodbye drops out after <c>Realtime:Presence:TtlSeconds</c> (default 30), and another node publishes the leave.
/// </summary>
public sealed partial class PresenceTracker(ChannelPublisher publisher, RedisConnection redis, NodeInfo node, IConfiguration configuration, TimeProvider clock, ILogger<PresenceTracker> log)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Entry>> local = new(StringComparer.Ordinal);

    private TimeSpan Ttl => TimeSpan.FromSeconds(configuration.GetValue<int?>("Realtime:Presence:TtlSeconds") ?? 30);

    private string Prefix => configuration["Redis:ChannelPrefix"] is { Length: > 0 } prefix ? prefix : "rs";

    public async Task JoinAsync(string tenant, string resource, string memberId, string user, CancellationToken ct = default)
    {
        var channel = ChannelName.Presence(tenant, resource);
        var member = new PresenceMember(memberId, user, clock.GetUtcNow(), node.NodeId);
        local.GetOrAdd(channel, _ => new(StringComparer.Ordinal))[memberId] = new Entry(member, clock.GetUtcNow() + Ttl);
        await WriteAsync(channel, member);
        await publisher.PublishAsync(channel, PublicationTypes.PresenceJoined, member, ct: ct);
    }

    public async Task LeaveAsync(string tenant, string resource, string memberId, CancellationToken ct = default)
    {
        var channel = ChannelName.Presence(tenant, resource);
        if (local.TryGetValue(channel, out var members) && members.TryRemove(memberId, out var entry))
        {
            await RemoveAsync(channel, memberId);
            await publisher.PublishAsync(channel, PublicationTypes.PresenceLeft, entry.Member, ct: ct);
        }
    }

    /// <summary>Everyone on the resource, on any node, oldest first.</summary>
    public async Task<IReadOnlyList<PresenceMember>> MembersAsync(string tenant, string resource)
    {
        var channel = ChannelName.Presence(tenant, resource);
        if (redis.IsConfigured)
        {
            try
            {
                var now = clock.GetUtcNow();
                var entries = await redis.Multiplexer.GetDatabase().HashGetAllAsync(Key(channel));
                return entries.Select(e => JsonSerializer.Deserialize<Entry>((string)e.Value!, JsonSerializerOptions.Web)!)
                    .Where(e => e.ExpiresAt > now)
                    .Select(e => e.Member)
                    .OrderBy(m => m.Since)
                    .ToList();
            }
            catch (Exception e) when (RedisFailure.IsOutage(e))
            {
                LogUnavailable(log, e, channel); // fall back to what this node holds
            }
        }

        return local.TryGetValue(channel, out var members) ? members.Values.Select(e => e.Member).OrderBy(m => m.Since).ToList() : [];
    }

    /// <summary>Renews this node's members (every node, every heartbeat).</summary>
    public async Task HeartbeatAsync(CancellationToken ct)
    {
        if (!redis.IsConfigured)
        {
            return;
        }

        var now = clock.GetUtcNow();
        foreach (var (channel, members) in local)
        {
            foreach (var entry in members.Values)
            {
                ct.ThrowIfCancellationRequested();
                members[entry.Member.MemberId] = entry with { ExpiresAt = now + Ttl };
                await WriteAsync(channel, entry.Member);
            }
        }
    }

    /// <summary>
    /// Removes (and announces) members whose node stopped renewing them, on every presence resource of the cluster.
    /// A singleton job (<see cref="PresenceCleanupJob"/>): one node does it, so each leave is announced once.
    /// </summary>
    public async Task RemoveExpiredAsync(CancellationToken ct)
    {
        if (!redis.IsConfigured)
        {
            return; // in-process: members leave with their circuit
        }

        var now = clock.GetUtcNow();
        var db = redis.Multiplexer.GetDatabase();
        foreach (var indexed in await db.SetMembersAsync(IndexKey))
        {
            ct.ThrowIfCancellationRequested();
            var channel = (string)indexed!;
            var stored = await db.HashGetAllAsync(Key(channel));
            if (stored.Length == 0)
            {
                await db.SetRemoveAsync(IndexKey, channel);
                continue;
            }

            foreach (var item in stored)
            {
                var other = JsonSerializer.Deserialize<Entry>((string)item.Value!, JsonSerializerOptions.Web)!;
                if (other.ExpiresAt <= now && await db.HashDeleteAsync(Key(channel), item.Name))
                {
                    LogExpired(log, other.Member.MemberId, other.Member.Node, channel);
                    await publisher.PublishAsync(channel, PublicationTypes.PresenceLeft, other.Member, ct: ct);
                }
            }
        }
    }

    private async Task WriteAsync(string channel, PresenceMember member)
    {
        if (!redis.IsConfigured)
        {
            return;
        }

        try
        {
            var db = redis.Multiplexer.GetDatabase();
            await db.HashSetAsync(Key(channel), member.MemberId, JsonSerializer.Serialize(new Entry(member, clock.GetUtcNow() + Ttl), JsonSerializerOptions.Web));
            await db.KeyExpireAsync(Key(channel), Ttl * 4);
            await db.SetAddAsync(IndexKey, channel);
        }
        catch (Exception e) when (RedisFailure.IsOutage(e))
        {
            LogUnavailable(log, e, channel);
        }
    }

    private async Task RemoveAsync(string channel, string memberId)
    {
        if (!redis.IsConfigured)
        {
            return;
        }

        try
        {
            await redis.Multiplexer.GetDatabase().HashDeleteAsync(Key(channel), memberId);
        }
        catch (Exception e) when (RedisFailure.IsOutage(e))
        {
            LogUnavailable(log, e, channel); // the entry expires on its own
        }
    }

    private string Key(string channel) => $"{Prefix}:presence:{channel}";

    /// <summary>Every resource with presence entries, for the cleanup job.</summary>
    private string IndexKey => $"{Prefix}:presence-index";

    [LoggerMessage(EventId = 3030, Level = LogLevel.Warning, Message = "Presence of {Channel} not shared: Redis unreachable")]
    private static partial void LogUnavailable(ILogger logger, Exception e, string channel);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Information, Message = "Presence member {MemberId} of node {Node} on {Channel} expired (its node stopped renewing it)")]
    private static partial void LogExpired(ILogger logger, string memberId, string node, string channel);

    private sealed record Entry(PresenceMember Member, DateTimeOffset ExpiresAt);
}
