using System.Text.Json.Nodes;
using RealtimeSync.Admin.Editing;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Admin.Components.Tests.Editing;

/// <summary>List columns, labels and titles come from the schema's display metadata.</summary>
public sealed class ListColumnsTests
{
    [Fact]
    public void Team_lists_name_role_email_and_active_and_keeps_name_and_role_on_a_phone()
    {
        var columns = ListColumns.For(DefaultEntityTypes.Team);
        Assert.Equal(["Name", "Role", "Email", "Active"], columns.Select(c => c.Label));
        Assert.Equal(["name", "role"], columns.Where(c => c.OnPhone).Select(c => c.Field.Name));
    }

    [Fact]
    public void Services_and_solutions_list_their_title_first()
    {
        Assert.Equal("title", ListColumns.For(DefaultEntityTypes.Services)[0].Field.Name);
        Assert.Equal("title", ListColumns.For(DefaultEntityTypes.Solutions)[0].Field.Name);
    }

    [Theory]
    [InlineData("photoUrl", "Photo URL")]
    [InlineData("createdAt", "Created at")]
    [InlineData("employeeId", "Employee ID")]
    [InlineData("name", "Name")]
    public void Labels_are_made_from_names_when_the_schema_names_none(string name, string label) =>
        Assert.Equal(label, DisplayNames.FromName(name));

    [Fact]
    public void A_schema_label_wins_over_the_derived_one() =>
        Assert.Equal("Photo", DefaultEntityTypes.Team.Field("photoUrl")!.DisplayLabel);

    [Fact]
    public void The_title_is_the_title_field_and_falls_back_to_the_id()
    {
        Assert.Equal("Ada Lovelace", DefaultEntityTypes.Team.Title("ada", new JsonObject { ["name"] = "Ada Lovelace" }));
        Assert.Equal("ada", DefaultEntityTypes.Team.Title("ada", new JsonObject { ["name"] = " " }));
    }

    [Fact]
    public void Cells_read_like_text_and_search_covers_text_fields()
    {
        var team = DefaultEntityTypes.Team;
        var ada = new EntityDto("ada", "team", 1, new JsonObject { ["name"] = "Ada", ["active"] = true, ["skills"] = new JsonArray("maths") },
            new Dictionary<string, long>(), false, DateTimeOffset.UnixEpoch, "x", DateTimeOffset.UnixEpoch, "x");
        Assert.Equal("Yes", ListColumns.Cell(team.Field("active")!, ada.Fields));
        Assert.True(ListColumns.Matches(team, ada, "MATH"));
        Assert.True(ListColumns.Matches(team, ada, "ad"));
        Assert.False(ListColumns.Matches(team, ada, "poetry"));
    }
}
