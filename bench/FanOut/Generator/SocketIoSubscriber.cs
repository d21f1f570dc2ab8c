namespace RealtimeSync.FanOut.Generator;

/// <summary>
/// Socket.IO's client, raw: Engine.IO 4 over a WebSocket only (no polling upgrade), the Socket.IO 5
/// protocol on top. <c>0{…}</c> open → <c>40</c> connect → <c>40{sid}</c> → <c>420["subscribe","bench"]</c>
/// with ack 0 → <c>430[…]</c>; then <c>42["publication",{…}]</c> events, and <c>2</c> pings answered with
/// <c>3</c>. Written in C# (not socket.io-client in Node) so both systems are measured with one generator
/// whose receive path is the same code, and so it costs as little as the SignalR subscriber does.
/// </summary>
internal sealed class SocketIoSubscriber(ReceiptBook receipts, string room) : Subscriber(receipts)
{
    public static Uri Address(Uri server) =>
        new UriBuilder(server) { Scheme = "ws", Path = "/socket.io/", Query = "EIO=4&transport=websocket" }.Uri;

    protected override Task OnOpenAsync(CancellationToken ct) => Task.CompletedTask; // the server speaks first

    protected override void OnMessage(ReadOnlyMemory<byte> frame, long atUs)
    {
        var message = frame.Span;
        if (message.StartsWith("42[\"publication\","u8))
        {
            Publication(message, atUs);
        }
        else if (message.SequenceEqual("2"u8))
        {
            Reply("3");
        }
        else if (message.StartsWith("0{"u8))
        {
            Reply("40");
        }
        else if (message.StartsWith("40"u8))
        {
            Reply($"420[\"subscribe\",\"{room}\"]");
        }
        else if (message.StartsWith("430"u8))
        {
            if (message.IndexOf("\"ok\":true"u8) >= 0)
            {
                Subscribed();
            }
            else
            {
                Fail($"subscribe refused: {System.Text.Encoding.UTF8.GetString(message)}");
            }
        }
        else if (message.StartsWith("44"u8) || message.StartsWith("1"u8))
        {
            Fail($"the server ended the session: {System.Text.Encoding.UTF8.GetString(message)}");
        }
    }
}
