using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace RealtimeSync.Hub.SiteKeys;

/// <summary>
/// The form of a site key: <c>rsk_</c> + base64url of 32 random bytes. 256 random bits make guessing
/// hopeless, so a plain SHA-256 (not a slow password hash) is a safe thing to store and to look up by.
/// </summary>
public static class SiteKeySecret
{
    public const string Marker = "rsk_";

    /// <summary>How much of a key the backoffice shows: the marker and 8 characters (48 of the 256 bits).</summary>
    public const int PrefixLength = 12;

    private const int RandomBytes = 32;

    private static readonly SearchValues<char> Base64UrlAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>Length of a key: the marker and the unpadded base64url of 32 bytes (43 characters).</summary>
    public static int Length { get; } = Marker.Length + Base64Url.GetEncodedLength(RandomBytes);

    public static string Generate() => Marker + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));

    public static string Prefix(string key) => key[..PrefixLength];

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Whether <paramref name="key"/> could be a key at all (not whether it exists).</summary>
    public static bool IsWellFormed(string? key) =>
        key is not null
        && key.Length == Length
        && key.StartsWith(Marker, StringComparison.Ordinal)
        && !key.AsSpan(Marker.Length).ContainsAnyExcept(Base64UrlAlphabet);
}
