namespace RealtimeSync.Hub.Realtime.Backplane;

public enum BackplaneState
{
    /// <summary>Redis answers and every connection of this node is registered with the backplane.</summary>
    Connected,

    /// <summary>Redis answers but connections that came while it was down are still being registered.</summary>
    Degraded,

    /// <summary>Redis is unreachable: only this node's own connections are served.</summary>
    Down,
}

/// <summary>
/// What the Redis backplane (the official one, under <see cref="NodeHubLifetimeManager{THub}"/>) of this node is doing, for the dashboard and health output. One per node;
/// <see cref="Enabled"/> is false when the node fans out in-process (no <c>Redis:Configuration</c>).
/// </summary>
public sealed class BackplaneStatus(TimeProvider clock)
{
    private readonly object gate = new();
    private BackplaneState state = BackplaneState.Down;
    private DateTimeOffset since = clock.GetUtcNow();
    private string? reason = "not started";
    private long published;
    private long publishErrors;

    public bool Enabled { get; internal set; }

    public BackplaneState State
    {
        get
        {
            lock (gate)
            {
                return state;
            }
        }
    }

    /// <summary>When <see cref="State"/> last changed.</summary>
    public DateTimeOffset Since
    {
        get
        {
            lock (gate)
            {
                return since;
            }
        }
    }

    /// <summary>Why the state is what it is (null when Connected).</summary>
    public string? Reason
    {
        get
        {
            lock (gate)
            {
                return reason;
            }
        }
    }

    /// <summary>SignalR sends (all, groups, users, connections on other nodes) the backplane took.</summary>
    public long MessagesPublished => Interlocked.Read(ref published);

    /// <summary>SignalR sends lost because Redis was unreachable (the backplane is at most once).</summary>
    public long PublishErrors => Interlocked.Read(ref publishErrors);

    /// <summary>Returns true when the state changed.</summary>
    internal bool Set(BackplaneState next, string? why)
    {
        lock (gate)
        {
            reason = why;
            if (state == next)
            {
                return false;
            }

            state = next;
            since = clock.GetUtcNow();
            return true;
        }
    }

    internal void CountPublished() => Interlocked.Increment(ref published);

    internal void CountPublishError() => Interlocked.Increment(ref publishErrors);
}
