using Microsoft.AspNetCore.Http;
using RealtimeSync.Hub.SiteKeys;

namespace RealtimeSync.Hub.Tests.SiteKeys;

/// <summary>The HTTP allow-list of subscribe-scoped tokens; the suites check it through the host.</summary>
public sealed class SubscribeScopeGuardTests
{
    [Theory]
    [InlineData("GET", "/api/tenants/demo")]
    [InlineData("GET", "/api/tenants/demo/")]
    [InlineData("HEAD", "/api/tenants/demo/entities/team")]
    [InlineData("GET", "/api/tenants/demo/entities/team/ada")]
    [InlineData("POST", "/hubs/sync/negotiate")]
    [InlineData("GET", "/hubs/sync")]
    public void A_site_token_may_open_the_hub_and_read_the_tenant_and_its_entities(string method, string path) =>
        Assert.True(SubscribeScopeGuard.Allows("subscribe", method, new PathString(path)));

    [Theory]
    [InlineData("GET", "/api/tenants/demo/entities/team/changes")] // actors and client ids, deleted rows: not public
    [InlineData("POST", "/api/tenants/demo/entities/team")]
    [InlineData("PATCH", "/api/tenants/demo/entities/team/ada")]
    [InlineData("DELETE", "/api/tenants/demo/entities/team/ada")]
    [InlineData("GET", "/api/tenants/demo/documents/d1")]
    [InlineData("GET", "/api/tenants/demo/sync/down")]
    [InlineData("GET", "/api/tenants/demo/entities")]
    [InlineData("GET", "/api/tenants")]
    [InlineData("GET", "/api/tenants/demo/entitiesx/team")]
    [InlineData("POST", "/api/site-tokens")]
    [InlineData("GET", "/hubs/other")]
    public void Anything_else_is_refused_to_a_site_token(string method, string path) =>
        Assert.False(SubscribeScopeGuard.Allows("subscribe", method, new PathString(path)));

    [Fact]
    public void A_scope_this_build_does_not_know_is_allowed_nothing() =>
        Assert.False(SubscribeScopeGuard.Allows("admin", "GET", new PathString("/api/tenants/demo")));
}
