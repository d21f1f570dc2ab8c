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

    [Theory]
    [InlineData("admin", true, false)]
    [InlineData("editor", true, false)]
    [InlineData("viewer", false, false)]
    [InlineData("operator", false, true)]
    public void Only_editors_and_admins_write_and_only_operators_operate(string role, bool writes, bool operates)
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Role, role)], "test"));

        Assert.Equal(writes, Roles.CanWrite(user));
        Assert.Equal(operates, Roles.CanOperate(user));
    }
}
