using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace RealtimeSync.Hub.Realtime.Backplane.Internal;

/// <summary>
/// Group membership of this node's own connections (what DefaultHubLifetimeManager keeps in its internal
/// HubGroupList). Reads are lock-free; changes take a lock so an emptied group is never dropped while
/// another connection is being added to it.
/// </summary>
internal sealed class LocalGroups
{
    private readonly ConcurrentDictionary<string, HubConnectionStore> groups = new(StringComparer.Ordinal);
    private readonly object gate = new();

    public HubConnectionStore? this[string group] => groups.TryGetValue(group, out var members) ? members : null;

    public void Add(HubConnectionContext connection, string group)
    {
        lock (gate)
        {
            groups.GetOrAdd(group, _ => new HubConnectionStore()).Add(connection);
        }
    }

    public void Remove(HubConnectionContext connection, string group)
    {
        lock (gate)
        {
            if (groups.TryGetValue(group, out var members))
            {
                members.Remove(connection);
                if (members.Count == 0)
                {
                    groups.TryRemove(group, out _);
                }
            }
        }
    }
}

/// <summary>Per-connection bookkeeping, kept in the connection's feature collection.</summary>
internal sealed class BackplaneConnectionFeature
{
    /// <summary>Groups of this connection; lock on the set itself.</summary>
    public HashSet<string> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>Set under the lock once OnDisconnected ran: a late group add must not resurrect the connection.</summary>
    public bool Disconnected { get; set; }
}
