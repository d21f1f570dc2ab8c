using System.Buffers.Text;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using RealtimeSync.Testing;

namespace RealtimeSync.EditLatency;

/// <summary>
/// A minimal SignalR client (JSON hub protocol over a WebSocket, negotiation skipped) that subscribes to
/// one channel and stamps each publication on arrival. A raw client keeps the receive path cheap, which
/// matters with hundreds of them in-process.
/// </summary>
internal sealed class RawHubSubscriber : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;

    private readonly ClientWebSocket socket = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int index;
    private readonly Timeline timeline;
    private Task receiving = Task.CompletedTask;
    private volatile bool closing;

    private RawHubSubscriber(int index, Timeline timeline)
    {
        this.index = index;
        this.timeline = timeline;
    }

    /// <summary>Set when the connection ended before the benchmark closed it.</summary>
    public string? Failure { get; private set; }

    public static async Task<RawHubSubscriber> ConnectAsync(Uri server, string token, string channel, int index, Timeline timeline, CancellationToken ct)
    {
        var subscriber = new RawHubSubscriber(index, timeline);
        var ws = new UriBuilder(server) { Scheme = "ws", Path = "/hubs/sync", Query = $"access_token={Uri.EscapeDataString(token)}" }.Uri;
        await subscriber.socket.ConnectAsync(ws, ct);
        subscriber.receiving = subscriber.ReceiveLoopAsync();
        await subscriber.SendAsync("{\"protocol\":\"json\",\"version\":1}\u001e", ct);
        await subscriber.handshake.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        var subscribe = JsonSerializer.Serialize(new { type = 1, invocationId = "1", target = "Subscribe", arguments = new object?[] { channel, null } });
        await subscriber.SendAsync(subscribe + "\u001e", ct);
        await subscriber.subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        return subscriber;
    }

    /// <summary>The server drops a client it has not heard from for 30 s; call this every ~10 s.</summary>
    public async Task PingAsync()
    {
        try
        {
            await SendAsync("{\"type\":6}\u001e", stop.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            Failure ??= $"ping failed: {e.Message}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        closing = true;
        await HubWire.CloseAsync(socket, receiving, TimeSpan.FromSeconds(5));

        await stop.CancelAsync();
        socket.Abort();
        await receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        socket.Dispose();
        stop.Dispose();
        sendLock.Dispose();
    }

    private Task SendAsync(string text, CancellationToken ct) => HubWire.SendTextAsync(socket, sendLock, text, ct);

    private async Task ReceiveLoopAsync()
    {
        try
        {
            // Stamped before any parsing: the receipt time is when the whole message is in.
            Fail(await HubWire.ReceiveMessagesAsync(socket, message => Dispatch(message, Stopwatch.GetTimestamp()), stop.Token, initialBufferSize: 8 * 1024));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (WebSocketException e)
        {
            Fail(e.Message);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> frame, long at)
    {
        // One frame can carry several hub messages, each ended by the record separator.
        while (frame.Length > 0)
        {
            var end = frame.IndexOf(RecordSeparator);
            var record = end < 0 ? frame : frame[..end];
            frame = end < 0 ? default : frame[(end + 1)..];
            if (record.IndexOf("\"target\":\"publication\""u8) >= 0)
            {
                if (MessageNumber(record) is { } n)
                {
                    timeline.Receipt(n, index, at);
                }
            }
            else if (record.Length > 0)
            {
                Control(record);
            }
        }
    }

    /// <summary>n from <c>"bio":"base-n"</c> or <c>"bio":"bench-n"</c>.</summary>
    private static int? MessageNumber(ReadOnlySpan<byte> record)
    {
        var marker = record.IndexOf("\"bio\":\""u8);
        if (marker < 0)
        {
            return null;
        }

        var value = record[(marker + 7)..];
        var dash = value.IndexOf((byte)'-');
        return dash >= 0 && Utf8Parser.TryParse(value[(dash + 1)..], out int n, out _) ? n : null;
    }

    private void Control(ReadOnlySpan<byte> record)
    {
        using var json = JsonDocument.Parse(record.ToArray());
        var root = json.RootElement;
        if (HubWire.TryCompleteHandshake(root, handshake))
        {
            return;
        }

        switch (root.GetProperty("type").GetInt32())
        {
            case 3 when root.TryGetProperty("error", out var error):
                subscribed.TrySetException(new InvalidOperationException($"Subscribe failed: {error}"));
                break;
            case 3:
                subscribed.TrySetResult();
                break;
            case 7:
                Fail($"the server closed the connection: {(root.TryGetProperty("error", out var reason) ? reason.ToString() : "no reason")}");
                break;
        }
    }

    private void Fail(string reason)
    {
        if (closing)
        {
            return;
        }

        Failure ??= reason;
        handshake.TrySetException(new InvalidOperationException(reason));
        subscribed.TrySetException(new InvalidOperationException(reason));
    }
}
