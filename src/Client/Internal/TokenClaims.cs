using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RealtimeSync.Client.Internal;

/// <summary>Reads claims from a JWT's payload (no validation: the server validates; the client only needs names).</summary>
internal static class TokenClaims
{
    public static string? Read(string token, string claim)
    {
        var parts = token.Split('.');
        if (parts.Length < 2)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)))?[claim] is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? v.GetValue<string>()
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
