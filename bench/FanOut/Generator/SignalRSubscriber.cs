using System.Text.Json;

namespace RealtimeSync.FanOut.Generator;

/// <summary>
/// The product's client: SignalR's JSON hub protocol over a WebSocket, negotiation skipped
/// (<c>/hubs/sync?access_token=…</c>), <c>Subscribe(channel, null)</c>, then <c>publication</c> invocations.
/// It speaks what @microsoft/signalr sends, without the .NET client's per-connection machinery (cheap at load).
/// </summary>
internal sealed class SignalRSubscriber(ReceiptBook receipts, string channel) : Subscriber(receipts)
{
    private const byte RecordSeparator = 0x1e;

    public static Uri Address(Uri server, string token) =>
        new UriBuilder(server) { Scheme = "ws", Path = "/hubs/sync", Query = $"access_token={Uri.EscapeDataString(token)}" }.Uri;

    /// <summary>The server drops a client it has not heard from for 30 s.</summary>
    public override Task HeartbeatAsync() => SendAsync("{\"type\":6}\u001e");

    protected override Task OnOpenAsync(CancellationToken ct) => SendAsync("{\"protocol\":\"json\",\"version\":1}\u001e", ct);

    protected override void OnMessage(ReadOnlyMemory<byte> frame, long atUs)
    {
        var message = frame.Span;
        // One frame can carry several hub messages (the server batches what is queued), each ended by 0x1e.
        while (message.Length > 0)
        {
            var end = message.IndexOf(RecordSeparator);
            var record = end < 0 ? message : message[..end];
            message = end < 0 ? default : message[(end + 1)..];
            if (record.IndexOf("\"target\":\"publication\""u8) >= 0)
            {
                Publication(record[record.IndexOf("\"data\":"u8)..], atUs);
            }
            else if (record.Length > 0)
            {
                Control(record);
            }
        }
    }

    private void Control(ReadOnlySpan<byte> record)
    {
        using var json = JsonDocument.Parse(record.ToArray());
        var root = json.RootElement;
        if (!root.TryGetProperty("type", out var type))
        {
            // The handshake answer: {} or {"error": "..."}.
            if (root.TryGetProperty("error", out var error))
            {
                Fail($"handshake refused: {error}");
            }
            else
            {
                var subscribe = JsonSerializer.Serialize(new { type = 1, invocationId = "1", target = "Subscribe", arguments = new object?[] { channel, null } });
                Reply(subscribe + "\u001e");
            }

            return;
        }

        switch (type.GetInt32())
        {
            case 3 when root.TryGetProperty("error", out var error):
                Fail($"Subscribe failed: {error}");
                break;
            case 3:
                Subscribed();
                break;
            case 7:
                Fail($"the server closed the connection: {(root.TryGetProperty("error", out var reason) ? reason.ToString() : "no reason")}");
                break;
        }
    }
}
