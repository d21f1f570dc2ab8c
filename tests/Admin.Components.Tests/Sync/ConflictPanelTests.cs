using RealtimeSync.Admin.Services;
using RealtimeSync.Admin.Sync;

namespace RealtimeSync.Admin.Components.Tests.Sync;

/// <summary>The conflict panel's merge choices and what a resolution sends.</summary>
public sealed class ConflictPanelTests : AdminComponentTest
{
    private static SyncConflictInfo Conflict(string status = "pending") => new(
        "laptop-7", "edit-0", "team", "grace", "UPDATE", "field-conflict", 2, 3, ["role"],
        new Dictionary<string, string> { ["role"] = "\"Lead\"", ["name"] = "\"Grace\"" },
        new Dictionary<string, string> { ["role"] = "\"Architect\"", ["name"] = "\"Grace\"" },
        new Dictionary<string, string> { ["role"] = "\"Architect\"", ["name"] = "\"Grace H.\"" },
        status, null, null, DateTimeOffset.UnixEpoch, null);

    private ConflictResolution? resolved;

    private IRenderedComponent<ConflictPanel> RenderPanel(SyncConflictInfo conflict, bool canResolve) =>
        Render<ConflictPanel>(p => p.Add(c => c.Conflict, conflict).Add(c => c.CanResolve, canResolve).Add(c => c.OnResolve, (ConflictResolution r) => resolved = r));

    [Fact]
    public void A_merge_takes_the_server_for_conflicting_fields_and_the_client_elsewhere_by_default()
    {
        var panel = RenderPanel(Conflict(), canResolve: true);
        Assert.Equal("true", panel.Find("[data-field=role]").GetAttribute("data-conflict"));
        panel.Find("[data-testid=merge]").Click();
        Assert.Equal("merge", resolved!.Resolution);
        Assert.Equal("\"Architect\"", resolved.Merged!["role"]);
        Assert.Equal("\"Grace\"", resolved.Merged["name"]);
    }

    [Fact]
    public void Choosing_the_client_for_a_field_merges_its_value()
    {
        var panel = RenderPanel(Conflict(), canResolve: true);
        panel.Find("[data-field=role] [data-testid=take-local]").Change(true);
        panel.Find("[data-field=name] [data-testid=take-server]").Change(true);
        panel.Find("[data-testid=merge]").Click();
        Assert.Equal("\"Lead\"", resolved!.Merged!["role"]);
        Assert.Equal("\"Grace H.\"", resolved.Merged["name"]);
    }

    [Fact]
    public void Accept_server_sends_no_values()
    {
        RenderPanel(Conflict(), canResolve: true).Find("[data-testid=accept-server]").Click();
        Assert.Equal(new ConflictResolution("accept-server", null), resolved);
    }

    [Fact]
    public void A_reader_or_a_resolved_conflict_offers_no_resolution()
    {
        Assert.Empty(RenderPanel(Conflict(), canResolve: false).FindAll("button"));
        Assert.Empty(RenderPanel(Conflict(), canResolve: false).FindAll("[data-testid=take-local]"));
        var resolvedConflict = Conflict("resolved") with { Resolution = "merge", ResolvedBy = "bea" };
        Assert.Contains("merge by bea", RenderPanel(resolvedConflict, canResolve: false).Find("[data-testid=conflict-resolution]").TextContent);
    }
}
