using System.Collections.Concurrent;
using System.Text.Json;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// History in this process: a bounded ring per channel (count and age). The epoch is this process's
/// (made at start), so a restart, which loses the history, gives every channel a new epoch and
/// reconnecting clients are told to resync instead of silently missing messages. State exists only for
/// channels something was published to: subscribing to arbitrary names costs no memory.
/// </summary>
public sealed class InMemoryChannelHistory(IConfiguration configuration, TimeProvider clock) : IChannelHistory
{
    private static readonly string ProcessEpoch = Guid.NewGuid().ToString("N")[..12];

    private readonly ConcurrentDictionary<string, Stream> channels = new(StringComparer.Ordinal);

    public Task<Appended?> AppendAsync(string channel, string type, JsonElement data, ChangeSource? source = null, CancellationToken ct = default)
    {
        var stream = channels.GetOrAdd(channel, _ => new Stream());
        var window = HistoryWindow.From(configuration);
        var now = clock.GetUtcNow();
        lock (stream)
        {
            if (source is not null)
            {
                if (source.Log == stream.LastSource?.Log && source.Seq <= stream.LastSource.Seq)
                {
                    return Task.FromResult<Appended?>(null);
                }

                stream.LastSource = source;
            }

            var publication = new Publication(channel, stream.Epoch, ++stream.Top, type, data);
            stream.Items.Enqueue((publication, now));
            Trim(stream, window, now);
            return Task.FromResult<Appended?>(new Appended(publication, DeliveredByHistory: false));
        }
    }

    public Task<SubscribeResult> ReadSinceAsync(string channel, StreamPosition? since, CancellationToken ct = default)
    {
        if (!channels.TryGetValue(channel, out var stream))
        {
            // Nothing was ever published here (in this process): position 0 of this epoch.
            var covered = since is null || (since.Epoch == ProcessEpoch && since.Offset == 0);
            return Task.FromResult(new SubscribeResult(ProcessEpoch, 0, since is not null && covered, [], !covered));
        }

        var window = HistoryWindow.From(configuration);
        lock (stream)
        {
            Trim(stream, window, clock.GetUtcNow());
            if (since is null)
            {
                return Task.FromResult(new SubscribeResult(stream.Epoch, stream.Top, false, [], false));
            }

            var oldest = stream.Items.Count > 0 ? stream.Items.Peek().Publication.Offset : stream.Top + 1;
            var covered = since.Epoch == stream.Epoch && since.Offset <= stream.Top && since.Offset + 1 >= oldest;
            if (!covered)
            {
                return Task.FromResult(new SubscribeResult(stream.Epoch, stream.Top, false, [], true));
            }

            var missed = stream.Items.Select(i => i.Publication).Where(p => p.Offset > since.Offset).ToList();
            return Task.FromResult(new SubscribeResult(stream.Epoch, stream.Top, true, missed, false));
        }
    }

    private static void Trim(Stream stream, HistoryWindow window, DateTimeOffset now)
    {
        while (stream.Items.Count > 0 && (stream.Items.Count > window.MaxCount || now - stream.Items.Peek().At > window.MaxAge))
        {
            stream.Items.Dequeue();
        }
    }

    private sealed class Stream
    {
        public string Epoch { get; } = ProcessEpoch;

        public long Top { get; set; }

        public ChangeSource? LastSource { get; set; }

        public Queue<(Publication Publication, DateTimeOffset At)> Items { get; } = new();
    }
}
