namespace RealtimeSync.Hub.Realtime.Backplane;

public enum BackplaneState
{
    /// <summary>Publishing works and this node's subscriptions are verified (a probe made the round trip).</summary>
    Connected,

    /// <summary>Redis answers but the subscriptions are being re-established or a probe failed.</summary>
    Degraded,

    /// <summary>Redis is unreachable: only this node's own connections are served.</summary>
    Down,
}

/// <summary>
/// What the Redis backplane of this node is doing, for the dashboard and health output. One per node;
/// <see cref="Enabled"/> is false when the node fans out in-process (no <c>Redis:Configuration</c>).
/// </summary>
public sealed class BackplaneStatus(TimeProvider clock)
{
    private readonly object gate = new();
    private BackplaneState state = BackplaneState.Down;
    private DateTimeOffset since = clock.GetUtcNow();
    private string? reason = "not started";
    private long published;
    private long received;
    private long publishErrors;
    private long receiveDropped;

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

    /// <summary>Messages this node handed to Redis (sends to all/groups/users/remote connections, group commands).</summary>
    public long MessagesPublished => Interlocked.Read(ref published);

    /// <summary>Messages from other nodes this node took from Redis.</summary>
    public long MessagesReceived => Interlocked.Read(ref received);

    /// <summary>Publishes that failed or were dropped (Redis unreachable, too many in flight); local delivery still happened.</summary>
    public long PublishErrors => Interlocked.Read(ref publishErrors);

    /// <summary>Messages from Redis dropped because local delivery fell too far behind.</summary>
    public long ReceiveDropped => Interlocked.Read(ref receiveDropped);

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

    internal void CountReceived() => Interlocked.Increment(ref received);

    internal void CountPublishError() => Interlocked.Increment(ref publishErrors);

    internal void CountReceiveDropped() => Interlocked.Increment(ref receiveDropped);
}
