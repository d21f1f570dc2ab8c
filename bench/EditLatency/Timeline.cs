using System.Diagnostics;

namespace RealtimeSync.EditLatency;

internal enum Mode
{
    /// <summary>A bare <c>IHubContext</c> group send of a publication-shaped payload.</summary>
    Baseline,

    /// <summary>A PATCH through the entities API: merge, persist, change feed, publish.</summary>
    Edits,
}

/// <summary>
/// Every timestamp of one backend's run, all from <see cref="Stopwatch.GetTimestamp"/> in this one process,
/// so sender and receivers share a clock. Message n is the n-th send of the run (either mode); the payload
/// carries n in <c>changed.bio</c> ("base-n" / "bench-n"). Each receiver writes only its own slots.
/// </summary>
internal sealed class Timeline(int capacity, int subscribers)
{
    public const int WarmUp = -1;

    private readonly long[] due = new long[capacity];
    private readonly long[] sent = new long[capacity];
    private readonly long[] pushed = new long[capacity];
    private readonly long[] responded = new long[capacity];
    private readonly Mode[] modes = new Mode[capacity];
    private readonly int[] phases = new int[capacity];
    private readonly bool[] failed = new bool[capacity];
    private readonly bool[] late = new bool[capacity];
    private readonly int[] receiptCounts = new int[capacity];
    private readonly long[] receipts = new long[(long)capacity * subscribers];
    private int last = -1;

    public int Subscribers => subscribers;

    public int Count => Math.Min(Volatile.Read(ref last) + 1, capacity);

    /// <summary>Allocates message n, due at <paramref name="dueAt"/> on the fixed-rate schedule.</summary>
    public int Next(Mode mode, int phase, long dueAt)
    {
        var n = Interlocked.Increment(ref last);
        if (n >= capacity)
        {
            throw new InvalidOperationException($"More than {capacity} messages: the timeline was sized too small.");
        }

        modes[n] = mode;
        phases[n] = phase;
        due[n] = dueAt;
        return n;
    }

    public void Sent(int n) => sent[n] = Stopwatch.GetTimestamp();

    /// <summary>The server finished handing the message to SignalR (group send returned).</summary>
    public void Pushed(int n)
    {
        if ((uint)n < (uint)capacity)
        {
            pushed[n] = Stopwatch.GetTimestamp();
        }
    }

    public void Responded(int n) => responded[n] = Stopwatch.GetTimestamp();

    public void Failed(int n) => failed[n] = true;

    public void Late(int n) => late[n] = true;

    public void Receipt(int n, int subscriber, long at)
    {
        if ((uint)n >= (uint)capacity)
        {
            return;
        }

        ref var slot = ref receipts[((long)n * subscribers) + subscriber];
        if (slot != 0)
        {
            return; // a duplicate delivery; the first one counts
        }

        slot = at;
        Interlocked.Increment(ref receiptCounts[n]);
    }

    public bool Complete(int n) => failed[n] || Volatile.Read(ref receiptCounts[n]) >= subscribers;

    public MessageTimes Message(int n) => new(modes[n], phases[n], due[n], sent[n], pushed[n], responded[n], failed[n], late[n], receiptCounts[n]);

    public ReadOnlySpan<long> Receipts(int n) => receipts.AsSpan((int)((long)n * subscribers), subscribers);
}

internal readonly record struct MessageTimes(Mode Mode, int Phase, long Due, long Sent, long Pushed, long Responded, bool Failed, bool Late, int Receipts);
