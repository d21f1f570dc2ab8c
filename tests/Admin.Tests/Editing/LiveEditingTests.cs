using System.Diagnostics;
using Microsoft.Playwright;

namespace RealtimeSync.Admin.Tests.Editing;

/// <summary>Two editors in two real browser sessions on the same team member.</summary>
public sealed class LiveEditingTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static ILocator Input(IPage page, string field) => page.Locator($"[data-testid=field-{field}] input, [data-testid=field-{field}] textarea").First;

    /// <summary>Types like a person (the inputs are Immediate: they update on every keystroke).</summary>
    private static async Task TypeAsync(IPage page, string field, string text)
    {
        var input = Input(page, field);
        await input.FillAsync("");
        await input.PressSequentiallyAsync(text);
    }

    private static async Task WaitValueAsync(IPage page, string field, string expected, int timeoutMs = 1000) =>
        await page.WaitForFunctionAsync(
            "([f, v]) => { const e = document.querySelector(`[data-testid=field-${f}] input, [data-testid=field-${f}] textarea`); return e && e.value === v; }",
            new object[] { field, expected },
            new PageWaitForFunctionOptions { Timeout = timeoutMs });

    [Fact]
    public async Task Two_editors_change_different_fields_of_one_member_and_both_values_are_saved_and_shown_on_both_screens_and_the_site()
    {
        var (contextA, a, errorsA) = await fixture.SignedInPageAsync("admin", "/entities/team/grace");
        var (contextB, b, errorsB) = await fixture.SignedInPageAsync(BrowserFixture.SecondEditor, "/entities/team/grace");
        var (contextSite, site, errorsSite) = await fixture.NewPageAsync();
        await using var _ = contextA;
        await using var __ = contextB;
        await using var ___ = contextSite;
        await site.GotoAsync("/demo/");
        await site.WaitForSelectorAsync("body[data-ready=true] [data-testid=connection-state][state=live]");
        await a.WaitForSelectorAsync("[data-testid=also-editing]");
        Assert.Contains(BrowserFixture.SecondEditor, await a.InnerTextAsync("[data-testid=also-editing]"));

        await TypeAsync(a, "role", "Rear Admiral");
        await TypeAsync(b, "name", "Amazing Grace");
        await Task.WhenAll(a.ClickAsync("[data-testid=save]"), b.ClickAsync("[data-testid=save]"));

        var clock = Stopwatch.StartNew();
        await WaitValueAsync(a, "name", "Amazing Grace");
        await WaitValueAsync(b, "role", "Rear Admiral");
        await site.WaitForFunctionAsync(
            "() => document.querySelector('[data-testid=team-grace-role]')?.textContent === 'Rear Admiral' && document.querySelector('[data-testid=team-grace-name]')?.textContent === 'Amazing Grace'",
            null, new PageWaitForFunctionOptions { Timeout = 1000 });
        Assert.InRange(clock.ElapsedMilliseconds, 0, 1000);
        await a.WaitForSelectorAsync("[data-testid=save-status][data-state=saved]");
        await b.WaitForSelectorAsync("[data-testid=save-status][data-state=saved]");
        Assert.Equal("Rear Admiral", await Input(a, "role").InputValueAsync());
        Assert.Equal("Amazing Grace", await Input(b, "name").InputValueAsync());

        // and on a fresh load, straight from the database
        await a.ReloadAsync();
        await WaitValueAsync(a, "role", "Rear Admiral", 5000);
        await WaitValueAsync(a, "name", "Amazing Grace", 5000);
        Assert.Empty(errorsA);
        Assert.Empty(errorsB);
        Assert.Empty(errorsSite);
    }

    [Fact]
    public async Task An_editor_typing_in_a_field_sees_a_colleagues_change_to_it_flagged_not_silently_replaced()
    {
        var (contextA, a, _) = await fixture.SignedInPageAsync("admin", "/entities/team/alan");
        var (contextB, b, _) = await fixture.SignedInPageAsync(BrowserFixture.SecondEditor, "/entities/team/alan");
        await using var _1 = contextA;
        await using var _2 = contextB;

        await TypeAsync(a, "role", "Codebreaker");                 // A is editing role, not saved
        await TypeAsync(b, "role", "Father of computing");          // B changes the same field
        await b.ClickAsync("[data-testid=save]");
        await b.WaitForSelectorAsync("[data-testid=save-status][data-state=saved]");

        await a.WaitForSelectorAsync("[data-testid=incoming-role]", new PageWaitForSelectorOptions { Timeout = 1000 });
        Assert.Contains("Father of computing", await a.InnerTextAsync("[data-testid=incoming-role]"));
        Assert.Contains(BrowserFixture.SecondEditor, await a.InnerTextAsync("[data-testid=incoming-role]"));
        Assert.Equal("Codebreaker", await Input(a, "role").InputValueAsync());   // what A typed is still there
        Assert.True(await a.IsDisabledAsync("[data-testid=save]"));               // A must decide first

        await a.ClickAsync("[data-testid=keep-role]");
        await a.ClickAsync("[data-testid=save]");
        await a.WaitForSelectorAsync("[data-testid=save-status][data-state=saved]");
        await WaitValueAsync(b, "role", "Codebreaker");                          // A's decision reaches B live
    }

    [Fact]
    public async Task A_colleagues_change_to_an_untouched_field_updates_in_place()
    {
        var (contextA, a, _) = await fixture.SignedInPageAsync("admin", "/entities/team/ada");
        var (contextB, b, _) = await fixture.SignedInPageAsync(BrowserFixture.SecondEditor, "/entities/team/ada");
        await using var _1 = contextA;
        await using var _2 = contextB;

        await TypeAsync(b, "email", "ada@analytical.engine");
        await b.ClickAsync("[data-testid=save]");

        await WaitValueAsync(a, "email", "ada@analytical.engine");
        await a.WaitForSelectorAsync("[data-testid=updated-by-email]");
        Assert.Equal("saved", await a.GetAttributeAsync("[data-testid=save-status]", "data-state"));
    }

    [Fact]
    public async Task Preserved_fields_are_locked_in_the_editor()
    {
        var (context, page, _) = await fixture.SignedInPageAsync("admin", "/entities/team/ada");
        await using var _1 = context;

        // Read-only with the reason, not disabled: the value stays readable and selectable.
        Assert.False(await Input(page, "employeeId").IsEditableAsync());
        Assert.False(await Input(page, "joinDate").IsEditableAsync());
        Assert.Contains("Preserved", await page.InnerTextAsync("[data-testid=field-employeeId]"));
        Assert.True(await Input(page, "role").IsEditableAsync());
    }

    [Fact]
    public async Task A_settings_change_reaches_the_public_site_live()
    {
        var (context, page, _) = await fixture.SignedInPageAsync("admin", "/entities/settings/default");
        var (siteContext, site, siteErrors) = await fixture.NewPageAsync();
        await using var _1 = context;
        await using var _2 = siteContext;
        await site.GotoAsync("/demo/");
        await site.WaitForSelectorAsync("body[data-ready=true] [data-testid=connection-state][state=live]");

        await TypeAsync(page, "tagline", "Now with live settings");
        await page.ClickAsync("[data-testid=save]");

        await site.WaitForFunctionAsync("() => document.querySelector('[data-testid=tagline]')?.textContent === 'Now with live settings'",
            null, new PageWaitForFunctionOptions { Timeout = 1000 });
        Assert.False(await Input(page, "createdAt").IsEditableAsync());
        Assert.Empty(siteErrors);
    }

    [Fact]
    public async Task A_viewer_gets_a_read_only_editor()
    {
        var (context, page, _) = await fixture.SignedInPageAsync(BrowserFixture.Viewer, "/entities/team/ada");
        await using var _1 = context;

        Assert.True(await Input(page, "role").IsDisabledAsync());
        Assert.Equal(0, await page.Locator("[data-testid=save]").CountAsync());
        await page.GotoAsync("/entities/team");
        await page.WaitForSelectorAsync("[data-testid=row-ada]");
        Assert.Equal(0, await page.Locator("[data-testid=new]").CountAsync());
    }

    [Fact]
    public async Task Leaving_with_unsaved_changes_asks_first_and_ctrl_s_saves()
    {
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", "/entities/team/ada");
        await using var _1 = context;
        await TypeAsync(page, "bio", "Wrote the first program.");
        await page.WaitForSelectorAsync("[data-testid=save-status][data-state=unsaved]");

        await page.Locator("[data-testid=nav] a", new() { HasText = "Dashboard" }).ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await dialog.WaitForAsync();
        Assert.Contains("unsaved changes", await dialog.InnerTextAsync());
        await dialog.Locator("button", new() { HasText = "Stay" }).ClickAsync();
        await dialog.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.EndsWith("/entities/team/ada", page.Url);
        Assert.Equal("Wrote the first program.", await Input(page, "bio").InputValueAsync());

        await page.Keyboard.PressAsync("Control+s");
        await page.WaitForSelectorAsync("[data-testid=save-status][data-state=saved]");

        await page.Locator("[data-testid=nav] a", new() { HasText = "Dashboard" }).ClickAsync();
        await page.WaitForPathAsync("/");
        Assert.Empty(errors);
    }
}
