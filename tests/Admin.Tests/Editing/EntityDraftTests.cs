using System.Text.Json.Nodes;
using RealtimeSync.Admin.Editing;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Admin.Tests.Editing;

public sealed class EntityDraftTests
{
    private static EntityDto Member(long version, string role = "Dev", string? bio = null) => new(
        "ada", "team", version,
        new JsonObject { ["name"] = "Ada", ["role"] = role, ["bio"] = bio, ["employeeId"] = "E-1", ["order"] = 3, ["skills"] = new JsonArray("c", "sql") },
        new Dictionary<string, long>(), false, DateTimeOffset.UtcNow, "seed", DateTimeOffset.UtcNow, "seed");

    private static EntityChangedEvent Change(long version, string actor, params (string Field, JsonNode? Value)[] fields)
    {
        var changed = new JsonObject();
        foreach (var (field, value) in fields)
        {
            changed[field] = value;
        }

        return new EntityChangedEvent("ada", "team", "update", version, changed, [], actor, "admin", version);
    }

    [Fact]
    public void A_colleagues_change_to_an_untouched_field_is_applied_in_place()
    {
        var draft = EntityDraft.Open(DefaultEntityTypes.Team, Member(1));

        Assert.True(draft.ApplyRemote(Change(2, "bea", ("role", "Lead"))));

        Assert.Equal("Lead", draft["role"].Text);
        Assert.Equal("bea", draft["role"].UpdatedBy);
        Assert.False(draft.HasChanges);
        Assert.Equal(2, draft.Version);
    }

    [Fact]
    public void A_colleagues_change_to_a_field_being_edited_is_flagged_and_keeps_what_was_typed()
    {
        var draft = EntityDraft.Open(DefaultEntityTypes.Team, Member(1));
        draft["role"].Text = "Architect";

        draft.ApplyRemote(Change(2, "bea", ("role", "Lead")));

        Assert.Equal("Architect", draft["role"].Text);
        Assert.Equal(("Lead", "bea"), draft["role"].Incoming);
        Assert.True(draft.HasUnresolved);
    }

    [Fact]
    public void Keep_mine_saves_my_value_over_theirs_with_the_newest_version_as_base()
    {
        var draft = EntityDraft.Open(DefaultEntityTypes.Team, Member(1));
        draft["role"].Text = "Architect";
        draft.ApplyRemote(Change(2, "bea", ("role", "Lead")));

        draft.KeepMine("role");

        Assert.False(draft.HasUnresolved);
        Assert.True(draft.TryGetChanges(out var values));
        Assert.Equal("Architect", values["role"]!.GetValue<string>());
        Assert.Equal(2, draft.Version);
    }

    [Fact]
    public void Take_theirs_drops_my_edit_of_that_field()
    {
        var draft = EntityDraft.Open(DefaultEntityTypes.Team, Member(1));
        draft["role"].Text = "Architect";
        draft.ApplyRemote(Change(2, "bea", ("role", "Lead")));

        draft.TakeTheirs("role");

        Assert.Equal("Lead", draft["role"].Text);
        Assert.False(draft.HasChanges);
    }

    [Fact]
    public void The_same_value_typed_by_both_is_neither_a_change_nor_a_conflict()
    {
        var draft = EntityDraft.Open(DefaultEntityTypes.Team, Member(1));
        draft["role"].Text = "Lead";

        draft.ApplyRemote(Change(2, "bea", ("role", "Lead")));

        Assert.False(draft.HasUnresolved);
        Assert.False(draft.HasChanges);
    }

    [Fact]
    public void Old_or_repeated_pushes_are_ignored()
    {
        var draft = EntityDraft.Open(DefaultEntityTypes.Team, Member(5));

        Assert.False(draft.ApplyRemote(Change(5, "bea", ("role", "Stale"))));
        Assert.False(draft.ApplyRemote(Change(3, "bea", ("role", "Older"))));
        Assert.Equal("Dev", draft["role"].Text);
    }

    [Fact]
    public void Only_touched_fields_are_sent_and_an_emptied_field_is_cleared()
    {
        var draft = EntityDraft.Open(DefaultEntityTypes.Team, Member(1, bio: "Poet"));
        draft["bio"].Text = "";
        draft["order"].Text = "4";
        draft["skills"].Text = "c, sql, ml";

        Assert.True(draft.TryGetChanges(out var values));

        Assert.Equal(["bio", "order", "skills"], values.Keys.Order());
        Assert.Null(values["bio"]);
        Assert.Equal(4, values["order"]!.GetValue<long>());
        Assert.Equal(3, values["skills"]!.AsArray().Count);
    }

    [Fact]
    public void Text_that_does_not_fit_the_field_type_is_an_error_on_that_field()
    {
        var draft = EntityDraft.Open(DefaultEntityTypes.Team, Member(1));
        draft["order"].Text = "fourth";

        Assert.False(draft.TryGetChanges(out _));
        Assert.Equal("must be a whole number", draft["order"].Error);
    }

    [Fact]
    public void Preserved_fields_of_an_existing_entity_are_locked_but_editable_when_creating()
    {
        Assert.True(EntityDraft.Open(DefaultEntityTypes.Team, Member(1))["employeeId"].Locked);
        Assert.False(EntityDraft.New(DefaultEntityTypes.Team)["employeeId"].Locked);
        Assert.True(EntityDraft.New(DefaultEntityTypes.Team)["createdAt"].Locked);
    }

    [Fact]
    public void A_refused_save_flags_the_conflicting_fields_and_absorbs_the_rest()
    {
        var draft = EntityDraft.Open(DefaultEntityTypes.Team, Member(1));
        draft["role"].Text = "Architect";
        var server = Member(3, role: "Lead", bio: "New bio");

        draft.MarkConflicts([new FieldConflict("role", "Lead", "Architect")], server, "bea");

        Assert.Equal(("Lead", "bea"), draft["role"].Incoming);
        Assert.Equal("Architect", draft["role"].Text);
        Assert.Equal("New bio", draft["bio"].Text);
        Assert.Equal(3, draft.Version);
    }
}
