using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RealtimeSync.Hub.Config.Internal;

/// <summary>Between JSON values (how the store keeps a key) and IConfiguration paths (how features read it).</summary>
internal static class ConfigJson
{
    /// <summary>An object's members become <c>{path}:{member}</c>, arrays <c>{path}:{index}</c>, as the JSON configuration provider does.</summary>
    public static void Flatten(string path, JsonElement value, IDictionary<string, string?> into)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in value.EnumerateObject())
                {
                    Flatten($"{path}:{member.Name}", member.Value, into);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Flatten($"{path}:{i++}", item, into);
                }

                break;
            case JsonValueKind.String:
                into[path] = value.GetString();
                break;
            case JsonValueKind.Null:
                into[path] = null;
                break;
            default:
                into[path] = value.GetRawText();
                break;
        }
    }

    /// <summary>
    /// The value configuration (appsettings, environment) currently gives <paramref name="key"/>, in the
    /// key's JSON shape; null when it has none or it does not parse as that shape.
    /// </summary>
    public static JsonElement? FromConfiguration(ConfigKey key, IConfiguration configuration)
    {
        var section = configuration.GetSection(key.Name);
        switch (key.Kind)
        {
            case ConfigValueKind.Integer:
                return long.TryParse(section.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                    ? Parse(number.ToString(CultureInfo.InvariantCulture)) : null;
            case ConfigValueKind.Object:
                return section.Exists() ? Parse(Node(section)?.ToJsonString() ?? "{}") : null;
            default:
                return section.Value is { } text ? Parse(JsonSerializer.Serialize(text)) : null;
        }
    }

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static bool Same(JsonElement a, JsonElement b) => JsonNode.DeepEquals(JsonNode.Parse(a.GetRawText()), JsonNode.Parse(b.GetRawText()));

    /// <summary>Children named 0..n-1 were an array; configuration keeps every leaf as a string, so numbers and booleans come back typed when they parse.</summary>
    private static JsonNode? Node(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return section.Value is null ? new JsonObject()
                : long.TryParse(section.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n)
                : bool.TryParse(section.Value, out var b) ? JsonValue.Create(b)
                : JsonValue.Create(section.Value);
        }

        if (children.Select((c, i) => c.Key == i.ToString(CultureInfo.InvariantCulture)).All(x => x))
        {
            return new JsonArray(children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(Node).ToArray());
        }

        var obj = new JsonObject();
        foreach (var child in children)
        {
            obj[child.Key] = Node(child);
        }

        return obj;
    }
}
