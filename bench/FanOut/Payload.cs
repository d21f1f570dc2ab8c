using System.Diagnostics;

namespace RealtimeSync.FanOut;

/// <summary>
/// What every system publishes: step, number within the step, due time, filler. Serialized (camelCase) as
/// <c>{"s":1,"n":0,"t":123,"pad":"xx…"}</c> by the product and by the Socket.IO server alike.
/// </summary>
/// <param name="T">When the publication was due, in <see cref="MonotonicClock"/> microseconds.</param>
internal sealed record BenchPayload(int S, int N, long T, string Pad);

/// <summary>
/// CLOCK_MONOTONIC in microseconds: .NET's Stopwatch on Linux and Node's process.hrtime both read it, so
/// the publisher (in this process or a Socket.IO server) and the subscribers (the generator process) share
/// one clock. <see cref="Systems.SocketIoSystem"/> checks that against Node before trusting it.
/// </summary>
internal static class MonotonicClock
{
    public static long NowUs() => Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000);
}
