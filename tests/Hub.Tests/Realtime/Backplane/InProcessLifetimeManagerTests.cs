using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Realtime.Backplane;

namespace RealtimeSync.Hub.Tests.Realtime.Backplane;

/// <summary>The suite on a node without Redis: SignalR's in-process manager.</summary>
public sealed class InProcessLifetimeManagerTests(InProcessNodes nodes) : LifetimeManagerSuite(nodes), IClassFixture<InProcessNodes>, IPlacements
{
    /// <summary>One node: there is no other node to place a client on.</summary>
    public static IReadOnlyList<Placement> Placements => [Placement.SameNode];

    [Fact]
    public void Without_Redis_configuration_the_node_fans_out_in_process()
    {
        var manager = Assert.IsType<NodeHubLifetimeManager<SyncHub>>(Sender.Services.GetRequiredService<HubLifetimeManager<SyncHub>>());
        Assert.IsType<DefaultHubLifetimeManager<SyncHub>>(manager.Inner);
        Assert.False(Sender.Services.GetRequiredService<BackplaneStatus>().Enabled);
    }
}
