using System.Collections.Concurrent;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Realtime;

/// <summary>One participant on a presence channel.</summary>
/// <param name="MemberId">Unique per participant session (a circuit or connection id).</param>
/// <param name="User">Display name.</param>
/// <param name="Since">When they joined.</param>
public sealed record PresenceMember(string MemberId, string User, DateTimeOffset Since);

/// <summary>
/// Who is looking at or editing a resource on this node ("also editing" in the admin). Joins and leaves
/// are published on <c>{tenant}/presence/{resource}</c>. Cross-node presence comes with the Redis backplane.
/// </summary>
public sealed class PresenceTracker(ChannelPublisher publisher, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, PresenceMember>> channels = new(StringComparer.Ordinal);

    public async Task JoinAsync(string tenant, string resource, string memberId, string user, CancellationToken ct = default)
    {
        var channel = ChannelName.Presence(tenant, resource);
        var member = new PresenceMember(memberId, user, clock.GetUtcNow());
        if (channels.GetOrAdd(channel, _ => new()).TryAdd(memberId, member))
        {
            await publisher.PublishAsync(channel, PublicationTypes.PresenceJoined, member, ct: ct);
        }
    }

    public async Task LeaveAsync(string tenant, string resource, string memberId, CancellationToken ct = default)
    {
        var channel = ChannelName.Presence(tenant, resource);
        if (channels.TryGetValue(channel, out var members) && members.TryRemove(memberId, out var member))
        {
            await publisher.PublishAsync(channel, PublicationTypes.PresenceLeft, member, ct: ct);
        }
    }

    public IReadOnlyList<PresenceMember> Members(string tenant, string resource) =>
        channels.TryGetValue(ChannelName.Presence(tenant, resource), out var members)
            ? members.Values.OrderBy(m => m.Since).ToList()
            : [];
}
