using System.Text.Json;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// Per-channel publication history with gap-free offsets and an epoch. Embedded mode keeps it in memory
/// (<see cref="InMemoryChannelHistory"/>); the Redis implementation serves recovery from any node.
/// </summary>
public interface IChannelHistory
{
    /// <summary>
    /// Assigns the channel's next offset and appends the publication, as one atomic step. With a
    /// <paramref name="source"/> at or below the last one appended to this channel from the same log, appends
    /// nothing and returns null (another node already published that change).
    /// </summary>
    Task<Appended?> AppendAsync(string channel, string type, JsonElement data, ChangeSource? source = null, CancellationToken ct = default);

    /// <summary>
    /// The channel's current position and, when <paramref name="since"/> is given, the publications after it,
    /// or <see cref="SubscribeResult.ResyncRequired"/> when the history no longer covers it.
    /// </summary>
    Task<SubscribeResult> ReadSinceAsync(string channel, StreamPosition? since, CancellationToken ct = default);
}

/// <summary>Where a publication comes from: a change log (a database's identity) and the change's sequence in it.</summary>
public sealed record ChangeSource(string Log, long Seq);

/// <param name="Publication">The publication with its offset.</param>
/// <param name="DeliveredByHistory">True when the history's own fan-out delivers it to every node, this one included.</param>
public sealed record Appended(Publication Publication, bool DeliveredByHistory);

/// <summary>How much history each channel keeps (<c>Realtime:History:*</c>), read at use time.</summary>
public sealed record HistoryWindow(int MaxCount, TimeSpan MaxAge)
{
    public static HistoryWindow From(IConfiguration configuration) => new(
        configuration.GetValue<int?>("Realtime:History:MaxCount") ?? 1000,
        TimeSpan.FromSeconds(configuration.GetValue<int?>("Realtime:History:MaxAgeSeconds") ?? 600));
}
