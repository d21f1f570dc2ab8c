using System.Text.Json.Nodes;

namespace RealtimeSync.Hub.Tests.Deploy;

/// <summary>The GC settings the hub ships with (eng/HubRuntime.props, README "Runtime settings").</summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void The_hub_runs_server_gc_with_dynamic_adaptation_off()
    {
        // The hub's own runtimeconfig.json, as `dotnet RealtimeSync.Hub.dll` reads it (copied next to this test's build).
        var path = Path.Combine(AppContext.BaseDirectory, "RealtimeSync.Hub.runtimeconfig.json");
        var properties = JsonNode.Parse(File.ReadAllText(path))!["runtimeOptions"]!["configProperties"]!.AsObject();

        Assert.True(properties["System.GC.Server"]!.GetValue<bool>());
        Assert.Equal(0, properties["System.GC.DynamicAdaptationMode"]!.GetValue<int>());
    }
}
