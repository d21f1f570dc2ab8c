using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RealtimeSync.Admin.Services;

namespace RealtimeSync.Admin.Config;

/// <summary>
/// The Configuration form's checks, shown while typing. The host validates every save again (ConfigCatalogue);
/// these say the same thing earlier.
/// </summary>
public static class ConfigRules
{
    /// <summary>Null when <paramref name="text"/> fits <paramref name="key"/>; otherwise what is wrong, naming the key.</summary>
    public static string? Problem(ConfigKeyInfo key, string? text)
    {
        text ??= "";
        switch (key.Kind)
        {
            case "Integer":
                if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                {
                    return $"{key.Key} must be a whole number";
                }

                return (key.Min is { } min && value < min) || (key.Max is { } max && value > max)
                    ? $"{key.Key} must be from {key.Min} to {key.Max}"
                    : null;
            case "Url":
                return text.Length == 0 || (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
                    ? null
                    : $"{key.Key} must be an absolute http(s) URL, or empty";
            case "Object":
                try
                {
                    return JsonNode.Parse(text) is JsonObject ? null : $"{key.Key} must be a JSON object";
                }
                catch (JsonException)
                {
                    return $"{key.Key} must be a JSON object";
                }

            default:
                return null;
        }
    }

    /// <summary>The rule in words, shown under the input.</summary>
    public static string Describe(ConfigKeyInfo key) => key.Kind switch
    {
        "Integer" => $"whole number from {key.Min} to {key.Max}",
        "Url" => "absolute http(s) URL, or empty",
        "Object" => "JSON object",
        _ => key.Secret ? "secret: never shown" : "text",
    };
}
