using System.Collections.Concurrent;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// Which of this node's hub connections subscribed to which channel. Channel delivery uses this registry,
/// not SignalR groups: every node learns every publication (from the history's fan-out), and sends it
/// only to its own subscribers, so no cross-node group bookkeeping sits on the hot path.
/// </summary>
public sealed class ChannelSubscriptions
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> byChannel = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> byConnection = new(StringComparer.Ordinal);

    private int connections;

    /// <summary>Hub connections open on this node (subscribed or not).</summary>
    public int OpenConnections => Volatile.Read(ref connections);

    public void Connected() => Interlocked.Increment(ref connections);

    public void Disconnected(string connectionId)
    {
        Interlocked.Decrement(ref connections);
        RemoveConnection(connectionId);
    }

    /// <summary>Raised after a connection subscribed to a channel (the registry already lists it).</summary>
    public event Action<string>? Added;

    public void Add(string connectionId, string channel)
    {
        if (byChannel.GetOrAdd(channel, _ => new(StringComparer.Ordinal)).TryAdd(connectionId, 0))
        {
            RealtimeMetrics.Subscriptions.Add(1, RealtimeMetrics.KindTag(channel));
        }

        byConnection.GetOrAdd(connectionId, _ => new(StringComparer.Ordinal))[channel] = 0;
        Added?.Invoke(channel);
    }

    public void Remove(string connectionId, string channel)
    {
        if (byChannel.TryGetValue(channel, out var connections))
        {
            if (connections.TryRemove(connectionId, out _))
            {
                RealtimeMetrics.Subscriptions.Add(-1, RealtimeMetrics.KindTag(channel));
            }

            if (connections.IsEmpty)
            {
                byChannel.TryRemove(KeyValuePair.Create(channel, connections));
            }
        }

        if (byConnection.TryGetValue(connectionId, out var channels))
        {
            channels.TryRemove(channel, out _);
        }
    }

    public void RemoveConnection(string connectionId)
    {
        if (byConnection.TryRemove(connectionId, out var channels))
        {
            foreach (var channel in channels.Keys)
            {
                Remove(connectionId, channel);
            }
        }
    }

    public IReadOnlyList<string> Subscribers(string channel) =>
        byChannel.TryGetValue(channel, out var connections) ? connections.Keys.ToList() : [];

    public int ConnectionCount => byConnection.Count;

    /// <summary>Channels <paramref name="connectionId"/> is subscribed to.</summary>
    public int CountFor(string connectionId) => byConnection.TryGetValue(connectionId, out var channels) ? channels.Count : 0;

    public bool IsSubscribed(string connectionId, string channel) =>
        byConnection.TryGetValue(connectionId, out var channels) && channels.ContainsKey(channel);

    public int SubscriptionCount => byChannel.Values.Sum(c => c.Count);

    public IReadOnlyCollection<string> Channels => byChannel.Keys.ToList();
}
