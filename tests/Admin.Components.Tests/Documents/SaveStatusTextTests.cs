using MudBlazor;
using RealtimeSync.Admin.Documents;
using RealtimeSync.Admin.Services;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Admin.Components.Tests.Documents;

/// <summary>The documents' save indicator: words, colours, and when leaving must ask first.</summary>
public sealed class SaveStatusTextTests
{
    [Theory]
    [InlineData(SaveStates.Saving, true)]
    [InlineData(SaveStates.ForceSaveRequested, true)]
    [InlineData(SaveStates.Retrying, true)]
    [InlineData(SaveStates.Saved, false)]
    [InlineData(SaveStates.Editing, false)]
    [InlineData("idle", false)]
    public void Leaving_asks_first_only_while_a_save_is_not_committed(string state, bool pending) =>
        Assert.Equal(pending, SaveStatusText.Pending(state));

    [Fact]
    public void States_have_their_colours()
    {
        Assert.Equal(Color.Success, SaveStatusText.Style(SaveStates.Saved));
        Assert.Equal(Color.Error, SaveStatusText.Style(SaveStates.Failed));
        Assert.Equal(Color.Warning, SaveStatusText.Style(SaveStates.Editing));
    }
}
