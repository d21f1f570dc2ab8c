using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Shared.Tests;

public sealed class RolesTests
{
    [Fact]
    public void The_three_roles_are_known_and_nothing_else()
    {
        Assert.Equal(["admin", "editor", "viewer"], Roles.All);
        Assert.All(Roles.All, r => Assert.True(Roles.IsKnown(r)));
        Assert.False(Roles.IsKnown("Admin"));
        Assert.False(Roles.IsKnown("root"));
        Assert.False(Roles.IsKnown(null));
    }
}
