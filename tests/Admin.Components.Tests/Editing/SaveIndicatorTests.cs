using MudBlazor;
using RealtimeSync.Admin.Editing;

namespace RealtimeSync.Admin.Components.Tests.Editing;

public sealed class SaveIndicatorTests : AdminComponentTest
{
    [Theory]
    [InlineData("saved", "success")]
    [InlineData("saving", "info")]
    [InlineData("unsaved", "warning")]
    [InlineData("conflict", "error")]
    [InlineData("error", "error")]
    public void Each_state_shows_its_text_in_its_colour(string state, string colour)
    {
        var indicator = Render<SaveIndicator>(p => p.Add(s => s.State, state).Add(s => s.Text, $"text of {state}"));
        var chip = indicator.Find("[data-testid=save-status]");
        Assert.Equal(state, chip.GetAttribute("data-state"));
        Assert.Contains($"text of {state}", chip.TextContent);
        Assert.Contains($"-{colour}", chip.ClassName);
        Assert.Equal("status", chip.GetAttribute("role"));
    }

    [Fact]
    public void Idle_is_neutral() => Assert.Equal(Color.Default, SaveIndicator.ColorOf("idle"));
}
