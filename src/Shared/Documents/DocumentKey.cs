using System.Security.Cryptography;

namespace RealtimeSync.Shared.Documents;

/// <summary>
/// ONLYOFFICE document keys (DESIGN §7): characters <c>[0-9a-zA-Z._=-]</c>, at most 128. One key per
/// document version: Document Server caches by key, so a key must never be reused for other content.
/// </summary>
public static class DocumentKey
{
    /// <summary>Longest key Document Server accepts.</summary>
    public const int MaxLength = 128;

    /// <summary>True for a key Document Server accepts.</summary>
    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '=' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A fresh key for <paramref name="version"/> of a document: a readable prefix and 96 random bits.</summary>
    public static string New(string documentId, int version)
    {
        var prefix = documentId.Length > 64 ? documentId[..64] : documentId;
        var random = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var key = $"{prefix}-v{version}-{random}";
        return IsValid(key) ? key : $"v{version}-{random}";
    }
}
