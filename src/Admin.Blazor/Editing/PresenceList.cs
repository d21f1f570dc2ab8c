using RealtimeSync.Admin.Services;

namespace RealtimeSync.Admin.Editing;

/// <summary>Who else has a record open, as the editor names them: other people, and the viewer's own other sessions.</summary>
public static class PresenceList
{
    /// <summary>
    /// Everyone on the resource except the viewer's own session (<paramref name="myMemberId"/>). While the viewer has not
    /// joined yet (<paramref name="myMemberId"/> null) the viewer's own name is left out too: a presence update can arrive
    /// before the join returns its id, and "also editing: me" is never true.
    /// </summary>
    public static IReadOnlyList<string> Others(IReadOnlyList<EditorPresence> members, string? myMemberId, string me)
    {
        var others = members.Where(m => m.MemberId != myMemberId && (myMemberId is not null || m.User != me)).ToList();
        if (myMemberId is null)
        {
            return others.Select(m => m.User).Distinct().ToList();
        }

        return others.GroupBy(m => m.User)
            .Select(g => g.Key == me ? g.Count() == 1 ? "you in another tab" : $"you in {g.Count()} other tabs" : g.Key)
            .ToList();
    }
}
