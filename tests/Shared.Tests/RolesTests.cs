using System.Security.Claims;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Shared.Tests;

public sealed class RolesTests
{
    [Fact]
    public void The_four_roles_are_known_and_nothing_else()
    {
        Assert.Equal(["operator", "admin", "editor", "viewer"], Roles.All);
        Assert.All(Roles.All, r => Assert.True(Roles.IsKnown(r)));
        Assert.False(Roles.IsKnown("Admin"));
        Assert.False(Roles.IsKnown("root"));
        Assert.False(Roles.IsKnown(null));
    }

    [Fact]
    public void No_tenant_role_implies_operator_and_operator_alone_does_not_write_tenant_data()
    {
        static ClaimsPrincipal With(params string[] roles) => new(new ClaimsIdentity(roles.Select(r => new Claim(ClaimTypes.Role, r)), "test"));

        Assert.All(new[] { Roles.Admin, Roles.Editor, Roles.Viewer }, r => Assert.False(Roles.CanOperate(With(r))));
        Assert.True(Roles.CanOperate(With(Roles.Operator)));
        Assert.False(Roles.CanWrite(With(Roles.Operator)));
        Assert.True(Roles.CanWrite(With(Roles.Operator, Roles.Admin)));
    }
}
