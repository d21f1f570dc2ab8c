using System.Buffers;
using System.Text.Json;

namespace RealtimeSync.Hub.Realtime.Backplane.Internal;

/// <summary>An invocation as it travels between nodes: who sent it, the client method, its arguments, who must not get it.</summary>
internal sealed record InvocationEnvelope(string Origin, string Target, JsonElement[] Arguments, string[]? Excluded);

/// <summary>"Add/remove this connection to/from this group", for the node that owns the connection.</summary>
internal sealed record GroupCommand(string Id, string Origin, string Op, string Group, string Connection)
{
    public const string Add = "add";
    public const string Remove = "remove";
}

/// <summary>
/// The JSON payloads on the backplane channels. Arguments are written with the JSON hub protocol's own
/// serializer options, so a client on another node gets exactly the JSON a local client gets; the
/// receiving node passes them on as <see cref="JsonElement"/>s, which System.Text.Json writes back raw.
/// </summary>
internal static class BackplaneMessages
{
    private static readonly JsonSerializerOptions EnvelopeOptions = JsonSerializerOptions.Web;

    public static byte[] Invocation(string origin, string target, object?[] arguments, IReadOnlyList<string>? excluded, JsonSerializerOptions payloadOptions)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("origin", origin);
            writer.WriteString("target", target);
            writer.WriteStartArray("arguments");
            foreach (var argument in arguments)
            {
                if (argument is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    JsonSerializer.Serialize(writer, argument, argument.GetType(), payloadOptions);
                }
            }

            writer.WriteEndArray();
            if (excluded is { Count: > 0 })
            {
                writer.WriteStartArray("excluded");
                foreach (var id in excluded)
                {
                    writer.WriteStringValue(id);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static InvocationEnvelope ReadInvocation(byte[] payload) =>
        JsonSerializer.Deserialize<InvocationEnvelope>(payload, EnvelopeOptions) ?? throw new JsonException("empty invocation");

    public static byte[] Command(GroupCommand command) => JsonSerializer.SerializeToUtf8Bytes(command, EnvelopeOptions);

    public static GroupCommand ReadCommand(byte[] payload) =>
        JsonSerializer.Deserialize<GroupCommand>(payload, EnvelopeOptions) ?? throw new JsonException("empty group command");
}
