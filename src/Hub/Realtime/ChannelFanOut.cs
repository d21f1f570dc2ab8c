using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using RealtimeSync.Hub.Realtime.Backplane;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// Delivers a publication to this node's subscribers of its channel: hub connections (through
/// <see cref="ChannelSubscriptions"/>) and in-process listeners (the admin's circuits). Calls for one
/// channel must come in offset order; the callers (publisher, history fan-out) guarantee that.
/// Hub connections are written to directly, not through SignalR's sends: the history's fan-out already
/// brought the publication to every node once, and the message is serialized once per protocol.
/// </summary>
public sealed partial class ChannelFanOut(ChannelSubscriptions subscriptions, NodeHubLifetimeManager<SyncHub> hub, ILogger<ChannelFanOut> log)
{
    private readonly ConcurrentDictionary<string, ImmutableList<Func<Publication, Task>>> listeners = new(StringComparer.Ordinal);
    private long deliveries;

    /// <summary>Deliveries to hub connections since start (one per connection per publication).</summary>
    public long Deliveries => Interlocked.Read(ref deliveries);

    public async Task DeliverAsync(Publication publication)
    {
        var connections = subscriptions.Subscribers(publication.Channel);
        if (connections.Count > 0)
        {
            try
            {
                var message = new SerializedHubMessage(new InvocationMessage(SyncHub.PublicationMethod, [publication]));
                var written = await hub.WriteLocalAsync(connections, message);
                Interlocked.Add(ref deliveries, written);
                RealtimeMetrics.Deliveries.Add(written, RealtimeMetrics.KindTag(publication.Channel));
            }
            catch (Exception e)
            {
                // The publication is in the history: subscribers that missed it see the gap and recover it.
                LogSendFailed(log, e, publication.Channel, publication.Offset);
            }
        }

        if (listeners.TryGetValue(publication.Channel, out var local))
        {
            foreach (var listener in local)
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
        }
    }

    /// <summary>In-process subscription (the admin's circuits). Dispose to stop.</summary>
    public IDisposable Listen(string channel, Func<Publication, Task> listener)
    {
        listeners.AddOrUpdate(channel, _ => [listener], (_, list) => list.Add(listener));
        return new Subscription(() => listeners.AddOrUpdate(channel, _ => [], (_, list) => list.Remove(listener)));
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
