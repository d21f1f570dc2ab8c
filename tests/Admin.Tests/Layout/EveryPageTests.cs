using Microsoft.Playwright;

namespace RealtimeSync.Admin.Tests.Layout;

/// <summary>What only a browser proves about every page: no console errors, no serious axe violation, a phone's width.</summary>
public sealed class EveryPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    public static TheoryData<string, string> Pages => new()
    {
        { "/", "h1" },
        { "/entities/team", "[data-testid=entity-grid]" },
        { "/entities/team/grace", "[data-testid=editor][data-live=true]" },
        { "/entities/team/new", "[data-testid=editor]" },
        { "/entities/settings/default", "[data-testid=editor][data-live=true]" },
        { "/entities/services", "[data-testid=entity-grid]" },
        { "/sync", "[data-testid=sync-page][data-live=true]" },
        { "/documents", "[data-testid=documents][data-live=true]" },
        { "/site-keys", "[data-testid=site-keys][data-live=true]" },
        { "/config", "[data-testid=config][data-live=true]" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task The_page_has_no_console_error_and_no_serious_or_critical_axe_violation(string path, string ready)
    {
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", path);
        await using var _ = context;
        await page.WaitForSelectorAsync(ready);

        var violations = await Accessibility.SeriousViolationsAsync(page);

        Assert.True(violations.Count == 0, string.Join("\n", violations));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_sign_in_page_has_no_serious_or_critical_axe_violation()
    {
        var (context, page, errors) = await fixture.NewPageAsync();
        await using var _ = context;
        await page.GotoAsync("/login");
        var violations = await Accessibility.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task On_a_phone_the_team_list_shows_names_and_roles_without_scrolling_sideways_and_the_drawer_is_closed()
    {
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", "/entities/team");
        await using var _ = context;
        await page.SetViewportSizeAsync(390, 844);
        await page.ReloadAsync();
        var grid = page.Locator("[data-testid=entity-grid]");
        await grid.WaitForAsync();

        var name = page.Locator("[data-testid=row-grace]");
        Assert.Equal("Grace Hopper", await name.InnerTextAsync());
        Assert.True(await name.IsVisibleAsync());
        Assert.True(await page.Locator("[data-testid=cell-grace-role]").IsVisibleAsync());
        Assert.False(await page.Locator("[data-testid=cell-grace-email]").IsVisibleAsync());   // a "wide" column
        var nameBox = (await name.BoundingBoxAsync())!;
        Assert.InRange(nameBox.X + nameBox.Width, 0, 390);
        Assert.True(await page.EvaluateAsync<bool>("() => document.scrollingElement.scrollWidth <= window.innerWidth"));
        Assert.False(await page.Locator("[data-testid=nav]").IsVisibleAsync());               // the drawer collapsed
        var violations = await Accessibility.SeriousViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task On_a_phone_a_record_form_fits_the_width_and_saves()
    {
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", "/entities/team/alan");
        await using var _ = context;
        await page.SetViewportSizeAsync(390, 844);
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("[data-testid=editor][data-live=true]");
        Assert.Equal("Alan Turing", await page.InnerTextAsync("[data-testid=record-title]"));
        Assert.True(await page.EvaluateAsync<bool>("() => document.scrollingElement.scrollWidth <= window.innerWidth"));

        var bio = page.Locator("[data-testid=field-bio] textarea").First;
        await bio.FillAsync("");
        await bio.PressSequentiallyAsync("Wrote about computable numbers.");
        var save = page.Locator("[data-testid=save]");
        await save.ScrollIntoViewIfNeededAsync();
        var box = (await save.BoundingBoxAsync())!;
        Assert.InRange(box.X + box.Width, 0, 390);
        await save.ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=save-status][data-state=saved]");
        Assert.Empty(errors);
    }
}
