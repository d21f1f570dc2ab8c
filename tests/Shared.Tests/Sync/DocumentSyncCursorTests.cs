using System.Text;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Shared.Tests.Sync;

public sealed class DocumentSyncCursorTests
{
    [Theory]
    [InlineData(1L, "a")]
    [InlineData(42L, "0f3c9e2a7b4d4e6f8a1b2c3d4e5f6a7b")]
    [InlineData(long.MaxValue, "id:with:colons")]
    [InlineData(7L, "ünïcødé")]
    public void A_position_survives_the_round_trip(long seq, string id)
    {
        var cursor = DocumentSyncCursor.Encode(new DocumentSyncPosition(seq, id));
        Assert.DoesNotContain('=', cursor);
        Assert.True(DocumentSyncCursor.TryDecode(cursor, out var position));
        Assert.Equal(new DocumentSyncPosition(seq, id), position);
    }

    [Fact]
    public void No_cursor_means_the_start()
    {
        Assert.True(DocumentSyncCursor.TryDecode(null, out var position));
        Assert.Equal(DocumentSyncPosition.Start, position);
        Assert.True(DocumentSyncCursor.TryDecode("", out position));
        Assert.Equal(DocumentSyncPosition.Start, position);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c1:5")] // the change-log cursor's format is not a document cursor
    [InlineData("d1:5")]
    [InlineData("d1:-5:x")]
    [InlineData("d1:+5:x")]
    [InlineData("d1: 5:x")]
    [InlineData("d1:5:")]
    [InlineData("d1:0:x")]
    [InlineData("d2:5:x")]
    [InlineData("d1:99999999999999999999:x")]
    [InlineData("d1:5:a\nb")]
    public void Malformed_cursors_are_refused(string text)
    {
        var cursor = text.Contains('!') ? text : Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.False(DocumentSyncCursor.TryDecode(cursor, out _));
    }

    [Fact]
    public void Oversized_cursors_are_refused()
    {
        Assert.False(DocumentSyncCursor.TryDecode(DocumentSyncCursor.Encode(new DocumentSyncPosition(1, new string('x', 600))), out _));
    }
}

public sealed class DocumentSyncRulesTests
{
    private static readonly DocumentSyncPosition After10 = new(10, "m");

    [Fact]
    public void Rows_created_after_the_cursor_are_added_older_ones_modified_tombstones_deleted()
    {
        Assert.Equal(DocumentChangeKind.Added, DocumentSyncRules.Classify(false, 11, After10));
        Assert.Equal(DocumentChangeKind.Modified, DocumentSyncRules.Classify(false, 10, After10));
        Assert.Equal(DocumentChangeKind.Modified, DocumentSyncRules.Classify(false, 3, After10));
        Assert.Equal(DocumentChangeKind.Deleted, DocumentSyncRules.Classify(true, 11, After10));
        Assert.Equal(DocumentChangeKind.Added, DocumentSyncRules.Classify(false, 1, DocumentSyncPosition.Start));
        Assert.Equal(DocumentChangeKind.Modified, DocumentSyncRules.Classify(false, 0, After10)); // rows from before created_seq existed
    }

    [Fact]
    public void Only_a_cursor_below_the_purge_horizon_resets()
    {
        Assert.True(DocumentSyncRules.NeedsReset(After10, 11));
        Assert.False(DocumentSyncRules.NeedsReset(After10, 10)); // the client has seen the tombstone at 10
        Assert.False(DocumentSyncRules.NeedsReset(After10, 0));
        Assert.False(DocumentSyncRules.NeedsReset(DocumentSyncPosition.Start, 500)); // a snapshot never resets
    }

    [Theory]
    [InlineData(null, 100)]
    [InlineData("", 100)]
    [InlineData("1", 1)]
    [InlineData("500", 500)]
    public void Limits_in_range_are_accepted(string? text, int expected)
    {
        Assert.True(DocumentSyncRules.TryParseLimit(text, out var limit));
        Assert.Equal(expected, limit);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("501")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("ten")]
    [InlineData(" 5")]
    public void Limits_out_of_range_are_refused(string text) => Assert.False(DocumentSyncRules.TryParseLimit(text, out _));

    [Fact]
    public void The_etag_changes_with_every_input_and_matches_weakly()
    {
        var end = new DocumentSyncPosition(20, "z");
        var etag = DocumentSyncRules.ETag("demo", After10, 100, true, end, false, 0);
        Assert.StartsWith("W/\"", etag);
        Assert.Equal(etag, DocumentSyncRules.ETag("demo", After10, 100, true, end, false, 0));
        var variants = new[]
        {
            DocumentSyncRules.ETag("acme", After10, 100, true, end, false, 0),
            DocumentSyncRules.ETag("demo", new DocumentSyncPosition(10, "n"), 100, true, end, false, 0),
            DocumentSyncRules.ETag("demo", After10, 99, true, end, false, 0),
            DocumentSyncRules.ETag("demo", After10, 100, false, end, false, 0),
            DocumentSyncRules.ETag("demo", After10, 100, true, new DocumentSyncPosition(21, "z"), false, 0),
            DocumentSyncRules.ETag("demo", After10, 100, true, end, true, 0),
            DocumentSyncRules.ETag("demo", After10, 100, true, end, false, 5),
        };
        Assert.DoesNotContain(etag, variants);
        Assert.Equal(variants.Length, variants.Distinct().Count());

        Assert.True(DocumentSyncRules.Matches(etag, etag));
        Assert.True(DocumentSyncRules.Matches(etag[2..], etag));
        Assert.True(DocumentSyncRules.Matches($"\"other\", {etag}", etag));
        Assert.True(DocumentSyncRules.Matches("*", etag));
        Assert.False(DocumentSyncRules.Matches("\"other\"", etag));
        Assert.False(DocumentSyncRules.Matches(null, etag));
    }
}
