using RealtimeSync.Admin.Editing;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Admin.Components.Tests.Editing;

/// <summary>Each typed input turns what a person does into the draft's text.</summary>
public sealed class FieldInputTests : AdminComponentTest
{
    private string? edited;

    public FieldInputTests() => RenderProviders();

    private IRenderedComponent<FieldInput> RenderField(FieldSchema schema, string text, bool locked = false) =>
        Render<FieldInput>(p => p
            .Add(f => f.Field, new FieldDraft(schema, locked) { Text = text, BaseText = text })
            .Add(f => f.OnEdit, (string t) => edited = t));

    [Fact]
    public void A_switch_edits_a_boolean_as_true_or_false()
    {
        var input = RenderField(new FieldSchema("active", FieldType.Boolean), "false");
        input.Find("input[type=checkbox]").Change(true);
        Assert.Equal("true", edited);
    }

    [Fact]
    public void Removing_a_chip_edits_the_list_without_it_and_enter_adds_one()
    {
        var input = RenderField(new FieldSchema("skills", FieldType.StringList), "maths, poetry");
        Assert.Equal(2, input.FindAll("[data-testid=chip]").Count);

        input.Find("[data-testid=chip] button").Click();
        Assert.Equal("poetry", edited);

        var add = input.Find("[data-testid=chip-input] input, input#field-input-skills");
        add.Input("engines");
        add.KeyDown(Key.Enter);
        Assert.Equal("maths, poetry, engines", edited);
    }

    [Fact]
    public void Invalid_json_is_flagged_while_typing()
    {
        var input = RenderField(new FieldSchema("socialLinks", FieldType.Json), "{\"x\": ");
        Assert.Contains("is not valid JSON", input.Markup);
        var valid = RenderField(new FieldSchema("socialLinks", FieldType.Json), "{\"x\": 1}");
        Assert.DoesNotContain("is not valid JSON", valid.Markup);
    }

    [Fact]
    public void A_number_field_edits_invariant_text()
    {
        var input = RenderField(new FieldSchema("price", FieldType.Number), "12.5");
        Assert.Equal("12.5", input.Find("input").GetAttribute("value"));
        input.Find("input").Input("99.95");
        Assert.Equal("99.95", edited);
    }

    [Fact]
    public void A_date_shows_in_a_date_picker_as_yyyy_mm_dd()
    {
        var input = RenderField(new FieldSchema("joinDate", FieldType.Date), "2024-03-01T10:00:00Z");
        Assert.NotNull(input.Find("[data-kind=date], .mud-picker"));
        Assert.Equal("2024-03-01", input.Find("input").GetAttribute("value"));
    }

    [Fact]
    public void An_image_url_gets_a_preview_only_for_http_urls()
    {
        var image = new FieldSchema("photoUrl", FieldType.String, Image: true);
        Assert.Single(RenderField(image, "https://example.com/a.png").FindAll("img[data-testid=image-preview]"));
        Assert.Empty(RenderField(image, "javascript:alert(1)").FindAll("img[data-testid=image-preview]"));
    }

    [Fact]
    public void A_locked_field_is_read_only_with_the_reason()
    {
        var input = RenderField(new FieldSchema("createdAt", FieldType.Date), "2020-01-01", locked: true);
        Assert.True(input.Find("input").HasAttribute("readonly"));
        Assert.Contains("Preserved", input.Markup);
        Assert.Empty(input.FindAll(".mud-picker"));
    }
}
