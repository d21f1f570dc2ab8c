using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Shared.Tests.Documents;

public sealed class DocumentKeyTests
{
    [Theory]
    [InlineData("abc-1_2.3=4", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("slash/inside", false)]
    [InlineData("ümlaut", false)]
    public void Only_document_server_key_characters_are_valid(string key, bool valid) => Assert.Equal(valid, DocumentKey.IsValid(key));

    [Fact]
    public void A_key_longer_than_128_characters_is_invalid()
    {
        Assert.True(DocumentKey.IsValid(new string('a', 128)));
        Assert.False(DocumentKey.IsValid(new string('a', 129)));
    }

    [Fact]
    public void New_keys_are_valid_unique_and_name_the_version_even_for_long_document_ids()
    {
        var longId = new string('d', 200);
        var keys = Enumerable.Range(0, 200).Select(i => DocumentKey.New(i % 2 == 0 ? "4f2c9a" : longId, 7)).ToList();
        Assert.All(keys, k => Assert.True(DocumentKey.IsValid(k), k));
        Assert.All(keys, k => Assert.Contains("v7-", k, StringComparison.Ordinal));
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }
}
