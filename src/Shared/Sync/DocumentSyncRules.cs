using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RealtimeSync.Shared.Sync;

/// <summary>Which list of a <c>documents/sync</c> page a row goes to.</summary>
public enum DocumentChangeKind
{
    /// <summary>Created after the client's cursor: the client cannot have it.</summary>
    Added,

    /// <summary>Created at or before the cursor and changed after it: the client may have an older copy.</summary>
    Modified,

    /// <summary>A tombstone (soft-deleted document).</summary>
    Deleted,
}

/// <summary>
/// Page assembly rules of <c>documents/sync</c>, free of I/O. Clients apply <c>added</c> and <c>modified</c>
/// the same way (upsert by id); the split only tells them whether a local copy can exist.
/// </summary>
public static class DocumentSyncRules
{
    /// <summary>Page size when the client gives none.</summary>
    public const int DefaultLimit = 100;

    /// <summary>Largest page size accepted.</summary>
    public const int MaxLimit = 500;

    /// <summary>
    /// Added when the row was created after the cursor's seq (so no earlier page can have carried it), modified
    /// otherwise; a snapshot (cursor seq 0) therefore lists every live document as added. A row created at
    /// exactly the cursor's seq counts as modified: an upsert is right either way.
    /// </summary>
    public static DocumentChangeKind Classify(bool deleted, long createdSeq, DocumentSyncPosition after) =>
        deleted ? DocumentChangeKind.Deleted
        : createdSeq > after.Seq ? DocumentChangeKind.Added
        : DocumentChangeKind.Modified;

    /// <summary>
    /// True when tombstones the client may not have seen were purged: every purged tombstone has a seq at or below
    /// <paramref name="purgedThroughSeq"/>, so only a cursor below it can have missed one. A snapshot never resets.
    /// </summary>
    public static bool NeedsReset(DocumentSyncPosition after, long purgedThroughSeq) =>
        after.Seq > 0 && after.Seq < purgedThroughSeq;

    /// <summary>Parses <c>limit</c>: absent → <see cref="DefaultLimit"/>; otherwise an integer in 1..<see cref="MaxLimit"/>.</summary>
    public static bool TryParseLimit(string? text, out int limit)
    {
        limit = DefaultLimit;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxLimit;
    }

    /// <summary>
    /// The page's weak ETag. The page is a function of (tenant, cursor, limit, includeDeleted) and the table; since
    /// every change gives its row a new, higher seq, the page's end position changes whenever its content does, and
    /// the purge horizon covers tombstones removed in place. Weak, because compression varies the bytes.
    /// </summary>
    public static string ETag(string tenant, DocumentSyncPosition after, int limit, bool includeDeleted, DocumentSyncPosition end, bool hasMore, long purgedThroughSeq)
    {
        var text = string.Join('\n', tenant, after.Seq.ToString(CultureInfo.InvariantCulture), after.Id, limit.ToString(CultureInfo.InvariantCulture),
            includeDeleted ? "1" : "0", end.Seq.ToString(CultureInfo.InvariantCulture), end.Id, hasMore ? "1" : "0",
            purgedThroughSeq.ToString(CultureInfo.InvariantCulture));
        return "W/\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16)) + "\"";
    }

    /// <summary>True when an If-None-Match header value lists <paramref name="etag"/> (weak comparison) or is <c>*</c>.</summary>
    public static bool Matches(string? ifNoneMatch, string etag)
    {
        if (string.IsNullOrWhiteSpace(ifNoneMatch))
        {
            return false;
        }

        var opaque = etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        foreach (var candidate in ifNoneMatch.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var value = candidate.StartsWith("W/", StringComparison.Ordinal) ? candidate[2..] : candidate;
            if (value == "*" || value == opaque)
            {
                return true;
            }
        }

        return false;
    }
}
