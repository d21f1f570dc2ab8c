using RealtimeSync.Shared.Tenancy;

namespace RealtimeSync.Shared.Tests.Tenancy;

public sealed class TenantIdTests
{
    [Theory]
    [InlineData("demo")]
    [InlineData("acme-corp")]
    [InlineData("42")]
    [InlineData("a")]
    public void Slugs_are_valid(string id) => Assert.True(TenantId.IsValid(id));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Demo")]
    [InlineData("-demo")]
    [InlineData("demo/other")]
    [InlineData("demo tenant")]
    [InlineData("démo")]
    [InlineData("../demo")]
    public void Anything_that_could_break_a_url_channel_or_blob_key_is_invalid(string? id) => Assert.False(TenantId.IsValid(id));

    [Fact]
    public void Length_is_capped()
    {
        Assert.True(TenantId.IsValid(new string('a', TenantId.MaxLength)));
        Assert.False(TenantId.IsValid(new string('a', TenantId.MaxLength + 1)));
    }
}
