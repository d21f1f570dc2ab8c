using System.Buffers;
using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace RealtimeSync.Hub.Realtime;

/// <summary>
/// MessagePack for the hub that carries exactly the JSON protocol's shapes: camelCase maps, the same
/// nulls and numbers, so a client reads <c>{channel, epoch, offset, type, data}</c> on either protocol.
/// Primitives use MessagePack's own formatters; every other argument and result goes through the web
/// System.Text.Json contract (the one the JSON protocol uses) and is written as native MessagePack maps,
/// arrays and values. A publication's data is a <see cref="JsonElement"/>, which MessagePack knows nothing of.
/// </summary>
public sealed class JsonShapedMessagePack : IFormatterResolver
{
    public static readonly JsonShapedMessagePack Instance = new();

    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard.WithResolver(Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    private static class Cache<T>
    {
        public static readonly IMessagePackFormatter<T>? Formatter = BuiltinResolver.Instance.GetFormatter<T>() ?? new JsonShaped<T>();
    }

    private sealed class JsonShaped<T> : IMessagePackFormatter<T>
    {
        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) =>
            Write(ref writer, value is JsonElement element ? element : JsonSerializer.SerializeToElement(value, Json));

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var json = new Utf8JsonWriter(buffer))
            {
                options.Security.DepthStep(ref reader);
                Read(ref reader, json, options);
                reader.Depth--;
            }

            return JsonSerializer.Deserialize<T>(buffer.WrittenSpan, Json)!;
        }
    }

    private static void Write(ref MessagePackWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var count = 0;
                foreach (var _ in element.EnumerateObject())
                {
                    count++;
                }

                writer.WriteMapHeader(count);
                foreach (var property in element.EnumerateObject())
                {
                    writer.Write(property.Name);
                    Write(ref writer, property.Value);
                }

                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    Write(ref writer, item);
                }

                break;
            case JsonValueKind.String:
                writer.Write(element.GetString());
                break;
            case JsonValueKind.Number when element.TryGetInt64(out var integer):
                writer.Write(integer);
                break;
            case JsonValueKind.Number when element.TryGetUInt64(out var unsigned):
                writer.Write(unsigned);
                break;
            case JsonValueKind.Number:
                writer.Write(element.GetDouble());
                break;
            case JsonValueKind.True:
                writer.Write(true);
                break;
            case JsonValueKind.False:
                writer.Write(false);
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    private static void Read(ref MessagePackReader reader, Utf8JsonWriter json, MessagePackSerializerOptions options)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Map:
                var properties = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < properties; i++)
                {
                    json.WritePropertyName(reader.ReadString() ?? "");
                    options.Security.DepthStep(ref reader);
                    Read(ref reader, json, options);
                    reader.Depth--;
                }

                json.WriteEndObject();
                break;
            case MessagePackType.Array:
                var items = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < items; i++)
                {
                    options.Security.DepthStep(ref reader);
                    Read(ref reader, json, options);
                    reader.Depth--;
                }

                json.WriteEndArray();
                break;
            case MessagePackType.String:
                json.WriteStringValue(reader.ReadString());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                break;
            case MessagePackType.Float:
                json.WriteNumberValue(reader.ReadDouble());
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Binary:
                json.WriteBase64StringValue(reader.ReadBytes()!.Value.ToArray());
                break;
            case MessagePackType.Extension:
                // MessagePack's timestamp (a JavaScript Date from the msgpack client); anything else is refused.
                json.WriteStringValue(reader.ReadDateTime());
                break;
            default:
                reader.ReadNil();
                json.WriteNullValue();
                break;
        }
    }
}
