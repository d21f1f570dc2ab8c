using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace RealtimeSync.Shared.Sync;

/// <summary>
/// Opaque, commit-safe position in a tenant's change log: base64url of <c>"c1:{seq}"</c>. It names a
/// sequence number, never a wall-clock time, so clock skew and late commits cannot make a reader skip
/// a change. Clients must treat it as opaque.
/// </summary>
public static class ChangeCursor
{
    private const string Prefix = "c1:";

    /// <summary>The cursor for "everything after <paramref name="seq"/>".</summary>
    public static string Encode(long seq) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(Prefix + seq.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Decodes a cursor; null or empty means "from the beginning" (seq 0). False when malformed.</summary>
    public static bool TryDecode(string? cursor, out long seq)
    {
        seq = 0;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        if (cursor.Length > 64)
        {
            return false;
        }

        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
            return text.StartsWith(Prefix, StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out seq);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
