using RealtimeSync.Admin.Editing;
using RealtimeSync.Admin.Services;

namespace RealtimeSync.Admin.Components.Tests.Editing;

public sealed class PresenceListTests
{
    private static EditorPresence P(string id, string user) => new(id, user, DateTimeOffset.UnixEpoch);

    [Fact]
    public void The_viewers_own_session_is_never_listed() =>
        Assert.Empty(PresenceList.Others([P("m1", "admin")], "m1", "admin"));

    [Fact]
    public void Before_the_join_returns_the_viewers_name_is_left_out() =>
        Assert.Equal(["bea"], PresenceList.Others([P("m1", "admin"), P("m2", "bea")], null, "admin"));

    [Fact]
    public void Other_people_once_each_and_my_other_tabs_as_such() =>
        Assert.Equal(["bea", "you in 2 other tabs"], PresenceList.Others([P("m1", "admin"), P("b1", "bea"), P("b2", "bea"), P("m2", "admin"), P("m3", "admin")], "m1", "admin"));
}
