using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// The one way anything is pushed: append to the channel history (which assigns the offset), then send
/// to the channel's SignalR group and to in-process listeners (admin circuits). Publishes on one channel
/// are serialized so subscribers receive offsets in order.
/// </summary>
public sealed partial class ChannelPublisher(IChannelHistory history, IHubContext<SyncHub> hub, ILogger<ChannelPublisher> log)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ImmutableList<Func<Publication, Task>>> listeners = new(StringComparer.Ordinal);

    public async Task<Publication> PublishAsync<T>(string channel, string type, T data, CancellationToken ct = default)
    {
        var payload = JsonSerializer.SerializeToElement(data, JsonSerializerOptions.Web);
        var gate = gates.GetOrAdd(channel, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var publication = await history.AppendAsync(channel, type, payload, ct);
            try
            {
                await hub.Clients.Group(channel).SendAsync(SyncHub.PublicationMethod, publication, CancellationToken.None);
            }
            catch (Exception e)
            {
                // The offset is taken and the publication is in the history: publishing it again would give
                // the same change a second offset. Subscribers that missed it see the gap and recover it.
                LogSendFailed(log, e, channel, publication.Offset);
            }
            if (listeners.TryGetValue(channel, out var local))
            {
                foreach (var listener in local)
                {
                    await Notify(listener, publication);
                }
            }

            return publication;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>In-process subscription (the admin's circuits). Dispose to stop.</summary>
    public IDisposable Listen(string channel, Func<Publication, Task> listener)
    {
        listeners.AddOrUpdate(channel, _ => [listener], (_, list) => list.Add(listener));
        return new Subscription(() => listeners.AddOrUpdate(channel, _ => [], (_, list) => list.Remove(listener)));
    }

    private async Task Notify(Func<Publication, Task> listener, Publication publication)
    {
        try
        {
            await listener(publication);
        }
        catch (Exception e)
        {
            // A broken listener (a closing circuit) must not stop the push to everybody else.
            LogListenerFailed(log, e, publication.Channel);
        }
    }

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Sending publication {Offset} of {Channel} failed; subscribers recover it from the history")]
    private static partial void LogSendFailed(ILogger logger, Exception e, string channel, long offset);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "In-process listener of {Channel} failed")]
    private static partial void LogListenerFailed(ILogger logger, Exception e, string channel);

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                dispose();
            }
        }
    }
}
