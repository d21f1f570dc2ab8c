using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Tests.Config;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.Cluster;

/// <summary>The Dashboard's sync requests/s is measured by the host from the requests it answers (rs.sync.requests).</summary>
public sealed class DashboardRatesTests : IAsyncLifetime
{
    private readonly HubApp app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Sync_requests_answered_by_the_node_show_as_its_sync_requests_per_second()
    {
        using var laptop = ConfigClient.For(app, "editor", "laptop-rates");
        await using var scope = app.Services.CreateAsyncScope();
        var cluster = scope.ServiceProvider.GetRequiredService<IClusterStatusSource>();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Keep pulling until a heartbeat (every 2 s) has measured an interval with requests in it.
            using var response = await laptop.PostAsync("/api/sync/down", new StringContent("""{"clientId": "laptop-rates"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var node = Assert.Single(await cluster.GetAsync());
            if (node.SyncRequestsPerSecond > 0)
            {
                return;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "a sync requests/s reading above 0 within 15 s");
            await Task.Delay(250);
        }
    }
}
