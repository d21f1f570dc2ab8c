using System.Text.Json;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// Per-channel publication history with gap-free offsets and an epoch. Embedded mode keeps it in memory
/// (<see cref="InMemoryChannelHistory"/>); the Redis implementation serves recovery from any node.
/// </summary>
public interface IChannelHistory
{
    /// <summary>Assigns the channel's next offset and appends the publication, as one atomic step.</summary>
    Task<Publication> AppendAsync(string channel, string type, JsonElement data, CancellationToken ct = default);

    /// <summary>
    /// The channel's current position and, when <paramref name="since"/> is given, the publications after it,
    /// or <see cref="SubscribeResult.ResyncRequired"/> when the history no longer covers it.
    /// </summary>
    Task<SubscribeResult> ReadSinceAsync(string channel, StreamPosition? since, CancellationToken ct = default);
}

/// <summary>How much history each channel keeps (<c>Realtime:History:*</c>), read at use time.</summary>
public sealed record HistoryWindow(int MaxCount, TimeSpan MaxAge)
{
    public static HistoryWindow From(IConfiguration configuration) => new(
        configuration.GetValue<int?>("Realtime:History:MaxCount") ?? 1000,
        TimeSpan.FromSeconds(configuration.GetValue<int?>("Realtime:History:MaxAgeSeconds") ?? 600));
}
