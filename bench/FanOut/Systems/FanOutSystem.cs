namespace RealtimeSync.FanOut.Systems;

/// <summary>A server the subscribers connect to; <paramref name="Pid"/> is this process for an in-process node.</summary>
internal sealed record Server(string Role, Uri Address, int Pid)
{
    public bool InThisProcess => Pid == Environment.ProcessId;
}

/// <summary>One of the systems measured: its servers, how clients subscribe, and its publisher.</summary>
internal abstract class FanOutSystem : IAsyncDisposable
{
    /// <summary>upper | product | socketio.</summary>
    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>signalr | socketio: the generator's client for it.</summary>
    public abstract string Protocol { get; }

    /// <summary>The SignalR channel or the Socket.IO room every subscriber joins.</summary>
    public abstract string Channel { get; }

    /// <summary>The subscribers' access token (SignalR), if the system needs one.</summary>
    public string? Token { get; protected set; }

    public abstract IReadOnlyList<Server> Servers { get; }

    /// <summary>Processes besides the servers whose CPU belongs to this system (Redis).</summary>
    public abstract IReadOnlyList<Watched> Backing { get; }

    public abstract Task StartAsync();

    /// <summary>
    /// Publishes <paramref name="count"/> payloads of step <paramref name="step"/> at <paramref name="rate"/> per
    /// second from <paramref name="startUs"/> (<see cref="MonotonicClock"/>), each stamped with its due time.
    /// </summary>
    public abstract Task PublishAsync(int step, double rate, int count, long startUs, string pad);

    /// <summary>Stops its servers; safe to call again.</summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>Waits until the monotonic clock reaches <paramref name="dueUs"/> (never early).</summary>
    protected static async Task DelayUntilAsync(long dueUs)
    {
        for (var wait = dueUs - MonotonicClock.NowUs(); wait > 0; wait = dueUs - MonotonicClock.NowUs())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait / 1000.0)));
        }
    }

    protected static long DueUs(long startUs, int n, double rate) => startUs + (long)Math.Round(n * 1_000_000 / rate);
}
