using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Editing;
using RealtimeSync.Admin.Services;

namespace RealtimeSync.Admin.Components.Tests.Editing;

/// <summary>The entity editor's draft rules as a person sees them, on an in-memory store.</summary>
public sealed class EntityEditorTests : AdminComponentTest
{
    private readonly FakeEntityEditing store = new();

    public EntityEditorTests()
    {
        store.Entities["ada"] = FakeEntityEditing.Entity("team", "ada", 3, new JsonObject
        {
            ["name"] = "Ada Lovelace",
            ["role"] = "Analyst",
            ["active"] = true,
            ["order"] = 4,
            ["skills"] = new JsonArray("maths", "poetry"),
            ["photoUrl"] = "https://example.com/ada.png",
            ["employeeId"] = "E-1815",
            ["joinDate"] = "1833-06-05",
        });
        Services.AddSingleton<IEntityEditing>(store);
    }

    private IRenderedComponent<EntityEditor> Open()
    {
        RenderProviders();
        var editor = Render<EntityEditor>(p => p.Add(e => e.Type, "team").Add(e => e.Id, "ada"));
        editor.WaitForElement("[data-testid=editor][data-live=true]");
        return editor;
    }

    private static AngleSharp.Dom.IElement Input(IRenderedComponent<EntityEditor> editor, string field) =>
        editor.Find($"[data-testid=field-{field}] input, [data-testid=field-{field}] textarea");

    [Fact]
    public async Task A_colleagues_change_to_an_untouched_field_is_applied_in_place_and_credited()
    {
        SignIn("admin", "admin");
        var editor = Open();

        await editor.InvokeAsync(() => store.CommitRemoteAsync("ada", "bea", new JsonObject { ["role"] = "Countess" }));

        editor.WaitForAssertion(() => Assert.Equal("Countess", Input(editor, "role").GetAttribute("value")));
        Assert.Contains("Updated by bea", editor.Find("[data-testid=updated-by-role]").TextContent);
        Assert.Empty(editor.FindAll("[data-testid=incoming-role]"));
    }

    [Fact]
    public async Task A_colleagues_change_to_a_field_being_edited_is_flagged_and_keep_mine_keeps_the_typed_text()
    {
        SignIn("admin", "admin");
        var editor = Open();
        Input(editor, "role").Input("Enchantress of numbers");

        await editor.InvokeAsync(() => store.CommitRemoteAsync("ada", "bea", new JsonObject { ["role"] = "Countess" }));

        var incoming = editor.WaitForElement("[data-testid=incoming-role]");
        Assert.Contains("bea", incoming.TextContent);
        Assert.Contains("Countess", incoming.TextContent);
        Assert.Equal("Enchantress of numbers", Input(editor, "role").GetAttribute("value"));
        Assert.True(editor.Find("[data-testid=save]").HasAttribute("disabled"));    // unresolved: no save yet

        editor.Find("[data-testid=keep-role]").Click();

        Assert.Empty(editor.FindAll("[data-testid=incoming-role]"));
        Assert.Equal("Enchantress of numbers", Input(editor, "role").GetAttribute("value"));
        Assert.False(editor.Find("[data-testid=save]").HasAttribute("disabled"));
        await editor.Find("[data-testid=save]").ClickAsync(new());
        var saved = Assert.Single(store.Updates);
        Assert.Equal(4, saved.BaseVersion);                                              // the newest version seen
        Assert.Equal("Enchantress of numbers", saved.Fields["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Take_theirs_replaces_the_typed_text_with_the_colleagues_value()
    {
        SignIn("admin", "admin");
        var editor = Open();
        Input(editor, "role").Input("Enchantress of numbers");
        await editor.InvokeAsync(() => store.CommitRemoteAsync("ada", "bea", new JsonObject { ["role"] = "Countess" }));
        editor.WaitForElement("[data-testid=take-role]").Click();

        Assert.Equal("Countess", Input(editor, "role").GetAttribute("value"));
        Assert.Equal("saved", editor.Find("[data-testid=save-status]").GetAttribute("data-state"));
    }

    [Fact]
    public void Preserved_fields_of_a_saved_record_are_read_only_and_say_why()
    {
        SignIn("admin", "admin");
        var editor = Open();

        var employeeId = Input(editor, "employeeId");
        Assert.True(employeeId.HasAttribute("readonly"));
        Assert.Equal("E-1815", employeeId.GetAttribute("value"));
        Assert.Contains("Preserved", editor.Find("[data-testid=field-employeeId]").TextContent);
        Assert.False(Input(editor, "name").HasAttribute("readonly"));
    }

    [Fact]
    public void A_viewer_gets_disabled_inputs_and_no_save_button()
    {
        SignIn("vic", "viewer");
        var editor = Open();

        Assert.True(Input(editor, "name").HasAttribute("disabled"));
        Assert.Empty(editor.FindAll("[data-testid=save]"));
        Assert.Contains("Read-only", editor.Find("[data-testid=read-only]").TextContent);
    }

    [Fact]
    public async Task Also_editing_names_other_people_and_my_other_tabs_but_never_this_session()
    {
        SignIn("admin", "admin");
        var editor = Open();

        await editor.InvokeAsync(() => store.PushPresenceAsync(new EditorPresence(store.JoinedMemberId, "admin", DateTimeOffset.UnixEpoch)));
        Assert.Empty(editor.FindAll("[data-testid=also-editing]"));

        await editor.InvokeAsync(() => store.PushPresenceAsync(
            new EditorPresence(store.JoinedMemberId, "admin", DateTimeOffset.UnixEpoch),
            new EditorPresence("bea-1", "bea", DateTimeOffset.UnixEpoch),
            new EditorPresence("me-2", "admin", DateTimeOffset.UnixEpoch)));
        var also = editor.Find("[data-testid=also-editing]").TextContent;
        Assert.Contains("bea", also);
        Assert.Contains("you in another tab", also);
    }

    [Fact]
    public void Each_field_type_gets_its_input()
    {
        SignIn("admin", "admin");
        var editor = Open();

        Assert.Equal("checkbox", editor.Find("[data-testid=field-active] input").GetAttribute("type"));     // switch
        Assert.NotNull(editor.Find("[data-testid=field-order] [data-kind=integer], [data-testid=field-order] .mud-input-numeric, [data-testid=field-order] input[inputmode]"));
        Assert.Equal(["maths", "poetry"], editor.FindAll("[data-testid=field-skills] [data-testid=chip]").Select(c => c.TextContent.Trim()));
        Assert.Equal("https://example.com/ada.png", editor.Find("[data-testid=field-photoUrl] [data-testid=image-preview]").GetAttribute("src"));
        Assert.Empty(editor.FindAll("[data-testid=field-photoUrl] textarea"));                              // a URL is one line
        Assert.NotNull(editor.Find("[data-testid=field-bio] textarea"));                                    // long text is not
    }
}
