using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Shared.Tests.Realtime;

public sealed class ChannelAccessTests
{
    private static string? Check(string channel, string? tenant = "demo", string? subject = "site:k1", string? clientId = null, string? scope = null) =>
        ChannelAccess.Check(ChannelName.TryParse(channel) ?? throw new ArgumentException($"'{channel}' does not parse"), tenant, subject, clientId, scope);

    [Theory]
    [InlineData("demo/entities/team")]
    [InlineData("demo/documents/d1")]
    [InlineData("demo/presence/team/42")]
    [InlineData("demo/sync/laptop-1")]
    public void An_unscoped_token_reaches_every_kind_of_its_tenants_channels(string channel) =>
        Assert.Null(Check(channel, subject: "user-1", clientId: "laptop-1"));

    [Theory]
    [InlineData("demo/entities/team")]
    [InlineData("demo/entities/settings")]
    public void A_subscribe_scoped_token_reaches_its_tenants_entity_channels(string channel) =>
        Assert.Null(Check(channel, scope: ChannelAccess.SubscribeScope));

    [Theory]
    [InlineData("demo/sync/x")]
    [InlineData("demo/documents/d1")]
    [InlineData("demo/presence/x")]
    [InlineData("demo/presence/team/42")]
    public void A_subscribe_scoped_token_is_refused_every_other_kind_of_channel(string channel)
    {
        var refusal = Check(channel, scope: ChannelAccess.SubscribeScope);

        Assert.Equal($"Not allowed: a subscribe-scoped token may subscribe only to entities channels, not '{channel}'.", refusal);
    }

    [Fact]
    public void A_subscribe_scoped_token_is_refused_its_own_sync_channel_too()
    {
        // Even when the channel key equals the subject or client id, which would let an unscoped token in.
        Assert.NotNull(Check("demo/sync/k1", subject: "k1", clientId: "k1", scope: ChannelAccess.SubscribeScope));
        Assert.Null(Check("demo/sync/k1", subject: "k1", clientId: "k1"));
    }

    [Fact]
    public void A_subscribe_scoped_token_is_refused_another_tenants_entity_channel() =>
        Assert.Equal("Not allowed: channel 'other/entities/team' belongs to another tenant.", Check("other/entities/team", scope: ChannelAccess.SubscribeScope));

    [Theory]
    [InlineData("admin")]
    [InlineData("Subscribe")]
    [InlineData("subscribe write")]
    public void An_unknown_scope_allows_nothing(string scope) =>
        Assert.NotNull(Check("demo/entities/team", scope: scope));

    [Fact]
    public void An_empty_scope_is_no_restriction() =>
        Assert.Null(Check("demo/presence/x", scope: ""));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("other")]
    public void A_token_without_this_tenant_is_refused_whatever_its_scope(string? tenant)
    {
        Assert.NotNull(Check("demo/entities/team", tenant: tenant));
        Assert.NotNull(Check("demo/entities/team", tenant: tenant, scope: ChannelAccess.SubscribeScope));
    }

    [Fact]
    public void Another_clients_sync_channel_is_refused() =>
        Assert.Equal("Not allowed: channel 'demo/sync/laptop-2' belongs to another sync client.", Check("demo/sync/laptop-2", subject: "user-1", clientId: "laptop-1"));
}
