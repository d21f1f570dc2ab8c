using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime;

/// <summary>Resource exhaustion through one token: connections, subscriptions, and the warnings they log.</summary>
public sealed class HubCapsTests
{
    [Fact]
    public async Task One_token_cannot_open_connections_or_subscriptions_beyond_the_caps_and_refusals_warn_once_per_connection()
    {
        var logFile = Path.Combine(Path.GetTempPath(), "rs-tests", $"log-{Guid.NewGuid():N}.json");
        await using (var app = new HubApp(new Dictionary<string, string?>
        {
            ["Realtime:Limits:MaxConnectionsPerToken"] = "3",
            ["Realtime:Limits:MaxSubscriptionsPerConnection"] = "5",
            ["Logging:File"] = logFile,
        }, realServer: true))
        {
            var token = app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "mallory", ["viewer"], TimeSpan.FromMinutes(5));
            var clients = new List<RawHubClient>();
            for (var i = 0; i < 3; i++)
            {
                clients.Add(await RawHubClient.ConnectAsync(app.Address, token));
            }

            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using var fourth = await RawHubClient.ConnectAsync(app.Address, token);
                await fourth.InvokeAsync("Subscribe", "demo/entities/team", null);
            });

            var first = clients[0];
            for (var i = 0; i < 5; i++)
            {
                await first.InvokeAsync("Subscribe", $"demo/entities/type{i}", null);
            }

            var refused = await Assert.ThrowsAnyAsync<Exception>(() => first.InvokeAsync("Subscribe", "demo/entities/type5", null));
            Assert.Contains("Subscription limit", refused.Message, StringComparison.Ordinal);
            Assert.Equal(5, app.Services.GetRequiredService<ChannelSubscriptions>().SubscriptionCount); // the 6th was not added

            for (var i = 0; i < 10; i++)
            {
                await Assert.ThrowsAnyAsync<Exception>(() => clients[1].InvokeAsync("Subscribe", "acme/entities/team", null));
            }

            // A closed connection frees its place.
            await clients[2].DisposeAsync();
            await Task.Delay(500);
            await using var again = await RawHubClient.ConnectAsync(app.Address, token);
            await again.InvokeAsync("Subscribe", "demo/entities/team", null);
            foreach (var client in clients.Take(2))
            {
                await client.DisposeAsync();
            }
        }

        var written = Directory.GetFiles(Path.GetDirectoryName(logFile)!, Path.GetFileNameWithoutExtension(logFile) + "*").Single();
        var lines = await File.ReadAllLinesAsync(written);
        File.Delete(written);
        // One warning for the refused subscribes of each of the two connections (the 6th channel, the other tenant's
        // ten), one for the fourth connection; not one per refusal.
        Assert.Equal(2, lines.Count(l => l.Contains("\"EventId\":{\"Id\":3011", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.Contains("\"EventId\":{\"Id\":3013", StringComparison.Ordinal));
    }
}
