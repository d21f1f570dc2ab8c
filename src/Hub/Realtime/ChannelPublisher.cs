using System.Collections.Concurrent;
using System.Text.Json;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// The one way anything is pushed: append to the channel history, which assigns the offset, then deliver.
/// Publishes on one channel are serialized on this node so its subscribers receive offsets in order.
/// A history with a cross-node fan-out (Redis) delivers through it, to this node as well, so all nodes see
/// one order; otherwise (in-process history, or Redis unreachable) this node delivers to its own subscribers.
/// </summary>
public sealed class ChannelPublisher(IChannelHistory history, ChannelFanOut fanOut, Tracing tracing)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);
    private long publications;

    public long Publications => Interlocked.Read(ref publications);

    /// <param name="source">
    /// The change this publication is made from, when there is one: a history that has already appended it
    /// (published by another node) returns null instead of appending it twice.
    /// </param>
    public async Task<Publication?> PublishAsync<T>(string channel, string type, T data, ChangeSource? source = null, CancellationToken ct = default)
    {
        var payload = JsonSerializer.SerializeToElement(data, JsonSerializerOptions.Web);
        var gate = gates.GetOrAdd(channel, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            Appended? appended;
            using (var span = tracing.Start("history.append", TenantOf(channel)))
            {
                span?.SetTag(ProductTelemetry.ChannelTag, channel);
                appended = await history.AppendAsync(channel, type, payload, source, ct);
                span?.SetTag("rs.offset", appended?.Publication.Offset);
            }

            if (appended is null)
            {
                return null;
            }

            Interlocked.Increment(ref publications);
            RealtimeMetrics.Publications.Add(1, RealtimeMetrics.KindTag(channel));
            if (!appended.DeliveredByHistory)
            {
                using var span = tracing.Start("fanout.deliver", TenantOf(channel));
                span?.SetTag(ProductTelemetry.ChannelTag, channel);
                await fanOut.DeliverAsync(appended.Publication);
            }

            return appended.Publication;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Channels are <c>tenant/kind/key</c>.</summary>
    private static string TenantOf(string channel) => channel.IndexOf('/') is > 0 and var slash ? channel[..slash] : channel;

    /// <summary>In-process subscription (the admin's circuits). Dispose to stop.</summary>
    public IDisposable Listen(string channel, Func<Publication, Task> listener) => fanOut.Listen(channel, listener);
}
