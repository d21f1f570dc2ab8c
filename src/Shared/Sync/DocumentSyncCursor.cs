using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace RealtimeSync.Shared.Sync;

/// <summary>
/// A position in a tenant's document change order: the keyset <c>(seq, id)</c> of the last document row a
/// client has received. <c>seq</c> is the tenant change sequence of the row's last change (commit-ordered),
/// <c>id</c> breaks ties should two rows ever share a seq, so a page boundary can never split and lose rows.
/// </summary>
/// <param name="Seq">The change sequence of the last row received; 0 before the first row.</param>
/// <param name="Id">The id of that row; empty before the first row.</param>
public readonly record struct DocumentSyncPosition(long Seq, string Id)
{
    /// <summary>Before every row (a full snapshot starts here).</summary>
    public static DocumentSyncPosition Start { get; } = new(0, "");
}

/// <summary>
/// The opaque <c>documents/sync</c> cursor: base64url of <c>"d1:{seq}:{id}"</c>. The version prefix lets the
/// format change later without misreading old cursors; it never holds a wall-clock time.
/// </summary>
public static class DocumentSyncCursor
{
    private const string Prefix = "d1:";

    /// <summary>Longest cursor accepted (a document id is at most a few dozen characters).</summary>
    public const int MaxLength = 512;

    /// <summary>The cursor for "everything after <paramref name="position"/>".</summary>
    public static string Encode(DocumentSyncPosition position) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            Prefix + position.Seq.ToString(CultureInfo.InvariantCulture) + ":" + position.Id));

    /// <summary>Decodes a cursor; null or empty means <see cref="DocumentSyncPosition.Start"/>. False when malformed.</summary>
    public static bool TryDecode(string? cursor, out DocumentSyncPosition position)
    {
        position = DocumentSyncPosition.Start;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        if (cursor.Length > MaxLength)
        {
            return false;
        }

        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            return false;
        }

        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var separator = text.IndexOf(':', Prefix.Length);
        if (separator < 0
            || !long.TryParse(text.AsSpan(Prefix.Length, separator - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }

        var id = text[(separator + 1)..];
        if (id.Any(char.IsControl) || (seq == 0) != (id.Length == 0))
        {
            return false;
        }

        position = new DocumentSyncPosition(seq, id);
        return true;
    }
}
