using System.Buffers;
using System.Buffers.Text;
using System.Net.WebSockets;
using RealtimeSync.Testing;

namespace RealtimeSync.FanOut.Generator;

/// <summary>
/// One WebSocket subscriber with a lean receive path: a whole frame is stamped on arrival, and a
/// publication costs a substring search and two number parses, never a JSON or MessagePack document.
/// Thousands of these share the generator process, so what they cost per message decides whether the
/// generator keeps up: one pooled receive buffer per subscriber (returned when it closes), no allocation
/// per frame, and receipts recorded into the subscriber's own shard of the <see cref="ReceiptBook"/>.
/// Protocol specifics (handshake, subscribe, heartbeats, framing) are in the subclasses.
/// </summary>
internal abstract class Subscriber : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ReceiptBook receipts;
    private readonly int shard;
    private Task receiving = Task.CompletedTask;
    private volatile bool closing;

    protected Subscriber(ReceiptBook receipts)
    {
        this.receipts = receipts;
        shard = receipts.NextShard();
        // The protocols have their own heartbeats (SignalR pings, Engine.IO ping/pong); no extra frames.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
    }

    /// <summary>Set when the connection ended before the generator closed it.</summary>
    public string? Failure { get; private set; }

    /// <summary>Connects, runs the protocol's handshake and subscription, returns once subscribed.</summary>
    public async Task ConnectAsync(Uri ws, CancellationToken ct)
    {
        await socket.ConnectAsync(ws, ct);
        receiving = ReceiveLoopAsync();
        await OnOpenAsync(ct);
        await ready.Task.WaitAsync(ct);
    }

    /// <summary>A protocol keep-alive the client must send itself (SignalR); Engine.IO answers the server's pings instead.</summary>
    public virtual Task HeartbeatAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        closing = true;
        await HubWire.CloseAsync(socket, receiving, TimeSpan.FromSeconds(5));

        await stop.CancelAsync();
        socket.Abort();
        await receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // stop and sendLock stay undisposed: a heartbeat may still be on its way to this subscriber, and
        // neither holds anything the GC does not free.
        socket.Dispose();
    }

    /// <summary>Sends the protocol's opening messages (handshake, or nothing until the server speaks).</summary>
    protected abstract Task OnOpenAsync(CancellationToken ct);

    /// <summary>One whole WebSocket message, stamped at <paramref name="atUs"/> when its last byte was in.</summary>
    protected abstract void OnMessage(ReadOnlyMemory<byte> message, long atUs);

    protected void Subscribed() => ready.TrySetResult();

    /// <summary>Records a publication from its payload's <c>"s"</c> and <c>"t"</c>.</summary>
    protected void Publication(ReadOnlySpan<byte> json, long atUs)
    {
        if (Number(json, "\"s\":"u8) is { } step && Number(json, "\"t\":"u8) is { } due)
        {
            Record(step, due, atUs);
        }
    }

    /// <summary>Records a publication whose step and due time the protocol's subclass read itself.</summary>
    protected void Record(long step, long dueUs, long atUs) => receipts.Record(shard, (int)step, dueUs, atUs);

    protected void Fail(string reason)
    {
        if (closing)
        {
            return;
        }

        Failure ??= reason;
        ready.TrySetException(new InvalidOperationException(reason));
    }

    protected Task SendAsync(string text) => SendAsync(text, stop.Token);

    protected async Task SendAsync(string text, CancellationToken ct)
    {
        try
        {
            await HubWire.SendTextAsync(socket, sendLock, text, ct);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            Fail($"send failed: {e.Message}"); // ignored while closing
        }
    }

    /// <summary>Sends without waiting, from the receive loop (a pong); a failure marks the subscriber failed.</summary>
    protected void Reply(string text) => _ = SendAsync(text);

    /// <summary>Sends one binary message (MessagePack hub protocol); a failure marks the subscriber failed.</summary>
    protected async Task SendBinaryAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        try
        {
            await sendLock.WaitAsync(ct == default ? stop.Token : ct);
            try
            {
                await socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, ct == default ? stop.Token : ct);
            }
            finally
            {
                sendLock.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            Fail($"send failed: {e.Message}"); // ignored while closing
        }
    }

    private static long? Number(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        var at = json.IndexOf(key);
        return at >= 0 && Utf8Parser.TryParse(json[(at + key.Length)..], out long value, out _) ? value : null;
    }

    private async Task ReceiveLoopAsync()
    {
        // Rented: a closed system's subscribers hand their buffers to the next system's.
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var filled = 0;
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(filled), stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Fail($"the server closed the WebSocket ({socket.CloseStatus} {socket.CloseStatusDescription})");
                    return;
                }

                filled += result.Count;
                if (!result.EndOfMessage)
                {
                    if (filled == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, filled).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    continue;
                }

                OnMessage(buffer.AsMemory(0, filled), MonotonicClock.NowUs());
                filled = 0;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or FormatException or System.Text.Json.JsonException)
        {
            // Whatever ends the loop must show up as a failed subscriber, not as quietly missing receipts.
            Fail(e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
