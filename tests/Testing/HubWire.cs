using System.Net.WebSockets;
using System.Text.Json;

namespace RealtimeSync.Testing;

/// <summary>Called with one complete WebSocket message; the span is only valid during the call.</summary>
public delegate void WebSocketMessageHandler(ReadOnlySpan<byte> message);

/// <summary>
/// The raw SignalR JSON-protocol pieces shared by the test client (<see cref="RawHubClient"/>) and the load
/// generators under bench/: whole-message reading, the handshake answer, serialized sends and a best-effort close.
/// </summary>
public static class HubWire
{
    /// <summary>The SignalR JSON protocol's record separator.</summary>
    public const char RecordSeparator = '\u001e';

    /// <summary>
    /// Reads until the server closes the socket, handing each complete message to <paramref name="onMessage"/>
    /// (a message can arrive in several chunks; one reused buffer, grown when a message outgrows it).
    /// Returns why the loop ended. Cancellation and socket errors are the caller's to catch.
    /// </summary>
    public static async Task<string> ReceiveMessagesAsync(WebSocket socket, WebSocketMessageHandler onMessage, CancellationToken ct, int initialBufferSize = 4096)
    {
        var buffer = new byte[initialBufferSize];
        var filled = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(filled), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return $"the server closed the WebSocket ({socket.CloseStatus} {socket.CloseStatusDescription})";
            }

            filled += result.Count;
            if (!result.EndOfMessage)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                continue;
            }

            onMessage(buffer.AsSpan(0, filled));
            filled = 0;
        }
    }

    /// <summary>
    /// True when <paramref name="message"/> is the handshake answer (<c>{}</c> or <c>{"error": …}</c>, the only
    /// message without a <c>type</c>); completes or fails <paramref name="handshake"/> accordingly.
    /// </summary>
    public static bool TryCompleteHandshake(JsonElement message, TaskCompletionSource handshake)
    {
        if (message.TryGetProperty("type", out _))
        {
            return false;
        }

        if (message.TryGetProperty("error", out var error))
        {
            handshake.TrySetException(new InvalidOperationException($"handshake refused: {error}"));
        }
        else
        {
            handshake.TrySetResult();
        }

        return true;
    }

    /// <summary>Sends one text message; <paramref name="sendLock"/> keeps concurrent senders from interleaving frames.</summary>
    public static async Task SendTextAsync(WebSocket socket, SemaphoreSlim sendLock, string text, CancellationToken ct)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        await sendLock.WaitAsync(ct);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        finally
        {
            sendLock.Release();
        }
    }

    /// <summary>
    /// Closes gracefully when the socket is still open (close frame, then waits for the receive loop to see the
    /// server's), within <paramref name="timeout"/>; best effort: the caller aborts the socket afterwards either way.
    /// </summary>
    public static async Task CloseAsync(WebSocket socket, Task receiving, TimeSpan timeout)
    {
        if (socket.State != WebSocketState.Open)
        {
            return;
        }

        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            await receiving.WaitAsync(cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
        {
            // closing is best effort; the caller's abort frees the socket either way
        }
    }
}
