using MessagePack;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace RealtimeSync.FanOut.Generator;

/// <summary>
/// The product's client on SignalR's MessagePack hub protocol (what <c>@microsoft/signalr-protocol-msgpack</c>
/// speaks): the JSON handshake <c>{"protocol":"messagepack","version":1}</c>, then binary messages, each a
/// VarInt length and a MessagePack array. A publication is walked with MessagePack's own reader, which skips
/// what it does not need (the filler, the channel) by length: only the data's <c>s</c> and <c>t</c> are read.
/// </summary>
internal sealed class MessagePackSubscriber(ReceiptBook receipts, string channel) : Subscriber(receipts)
{
    private const byte RecordSeparator = 0x1e;
    private const int InvocationType = 1;
    private const int Completion = 3;
    private const int Close = 7;

    // Outgoing messages are few (subscribe, pings): written by SignalR's own protocol, framing included.
    private static readonly MessagePackHubProtocol Protocol = new();
    private static readonly byte[] Ping = Protocol.GetMessageBytes(PingMessage.Instance).ToArray();

    private bool handshaken;

    public override Task HeartbeatAsync() => SendBinaryAsync(Ping);

    protected override Task OnOpenAsync(CancellationToken ct) => SendAsync("{\"protocol\":\"messagepack\",\"version\":1}\u001e", ct);

    protected override void OnMessage(ReadOnlyMemory<byte> frame, long atUs)
    {
        if (!handshaken)
        {
            // The handshake answer is JSON ended by 0x1e; binary messages may follow it in the same frame.
            var end = frame.Span.IndexOf(RecordSeparator);
            if (end < 0)
            {
                Fail("handshake answer without its record separator");
                return;
            }

            handshaken = true;
            var answer = System.Text.Encoding.UTF8.GetString(frame.Span[..end]);
            if (answer.Contains("\"error\"", StringComparison.Ordinal))
            {
                Fail($"handshake refused: {answer}");
                return;
            }

            _ = SendBinaryAsync(Protocol.GetMessageBytes(new InvocationMessage("1", "Subscribe", [channel, null])));
            frame = frame[(end + 1)..];
        }

        // One frame can carry several hub messages (the server batches what is queued), each length-prefixed.
        while (frame.Length > 0)
        {
            if (!TryReadLength(frame.Span, out var length, out var prefix) || prefix + length > frame.Length)
            {
                Fail("truncated MessagePack hub message");
                return;
            }

            Message(frame.Slice(prefix, length), atUs);
            frame = frame[(prefix + length)..];
        }
    }

    private void Message(ReadOnlyMemory<byte> message, long atUs)
    {
        var reader = new MessagePackReader(message);
        var fields = reader.ReadArrayHeader();
        switch (reader.ReadInt32())
        {
            case InvocationType:
                reader.Skip(); // headers
                reader.Skip(); // invocation id (nil)
                if (reader.TryReadStringSpan(out var target) && target.SequenceEqual("publication"u8) && reader.ReadArrayHeader() > 0)
                {
                    Publication(ref reader, atUs);
                }

                break;
            case Completion:
                reader.Skip(); // headers
                reader.Skip(); // invocation id
                if (reader.ReadInt32() == 1)
                {
                    Fail($"Subscribe failed: {reader.ReadString()}");
                }
                else
                {
                    Subscribed();
                }

                break;
            case Close:
                Fail($"the server closed the connection: {(fields > 1 && !reader.TryReadNil() ? reader.ReadString() : "no reason")}");
                break;
        }
    }

    /// <summary>The publication map {channel, epoch, offset, type, data}: reads data's s and t, skips the rest.</summary>
    private void Publication(ref MessagePackReader reader, long atUs)
    {
        for (var keys = reader.ReadMapHeader(); keys > 0; keys--)
        {
            if (!reader.TryReadStringSpan(out var key) || !key.SequenceEqual("data"u8))
            {
                reader.Skip();
                continue;
            }

            long? step = null, due = null;
            for (var fields = reader.ReadMapHeader(); fields > 0; fields--)
            {
                var name = reader.TryReadStringSpan(out var span) && span.Length == 1 ? span[0] : (byte)0;
                switch (name)
                {
                    case (byte)'s': step = reader.ReadInt64(); break;
                    case (byte)'t': due = reader.ReadInt64(); break;
                    default: reader.Skip(); break;
                }
            }

            if (step is { } s && due is { } t)
            {
                Record(s, t, atUs);
            }

            return;
        }
    }

    /// <summary>SignalR's binary framing: the length as a VarInt (7 bits a byte, low bits first, at most 5 bytes).</summary>
    private static bool TryReadLength(ReadOnlySpan<byte> data, out int length, out int prefix)
    {
        length = 0;
        for (prefix = 0; prefix < Math.Min(5, data.Length);)
        {
            var b = data[prefix];
            length |= (b & 0x7f) << (7 * prefix);
            prefix++;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
