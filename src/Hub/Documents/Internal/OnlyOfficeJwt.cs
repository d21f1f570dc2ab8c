using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RealtimeSync.Hub.Documents.Internal;

/// <summary>
/// HS256 tokens as Document Server makes and checks them. Written out instead of using JsonWebTokenHandler
/// because ONLYOFFICE secrets are often shorter than the 256 bits that library insists on for HS256.
/// </summary>
internal static class OnlyOfficeJwt
{
    private static readonly string Header = Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8.ToArray());

    public static string Sign(JsonObject payload, string secret)
    {
        var body = Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes($"{Header}.{body}"));
        return $"{Header}.{body}.{Base64Url(signature)}";
    }

    /// <summary>The payload when the token is HS256, correctly signed, has an exp and is not expired; otherwise null and why.</summary>
    public static JsonObject? Verify(string token, string secret, DateTimeOffset now, out string? error)
    {
        error = null;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            error = "is not a JWT";
            return null;
        }

        try
        {
            var header = JsonNode.Parse(FromBase64Url(parts[0])) as JsonObject;
            if (header?["alg"]?.GetValueKind() != JsonValueKind.String || header["alg"]!.GetValue<string>() != "HS256")
            {
                error = "must be signed with HS256";
                return null;
            }

            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
            if (!CryptographicOperations.FixedTimeEquals(expected, FromBase64Url(parts[2])))
            {
                error = "has an invalid signature";
                return null;
            }

            if (JsonNode.Parse(FromBase64Url(parts[1])) is not JsonObject payload)
            {
                error = "has no JSON object payload";
                return null;
            }

            var skew = TimeSpan.FromSeconds(30);
            // A token without exp would be valid forever once leaked (Document Server always sets one).
            if (payload["exp"] is not JsonValue exp || !exp.TryGetValue<long>(out var expires))
            {
                error = "has no expiry (exp)";
                return null;
            }

            if (DateTimeOffset.FromUnixTimeSeconds(expires) + skew < now)
            {
                error = "has expired";
                return null;
            }

            if (payload["nbf"] is JsonValue nbf && nbf.TryGetValue<long>(out var notBefore) && DateTimeOffset.FromUnixTimeSeconds(notBefore) - skew > now)
            {
                error = "is not valid yet";
                return null;
            }

            return payload;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            error = "is malformed";
            return null;
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException("bad base64url length") };
        return Convert.FromBase64String(padded);
    }
}
