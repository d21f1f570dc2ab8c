using System.Text.Json;
using RealtimeSync.Testing;

namespace RealtimeSync.Client.Tests;

/// <summary>Live subscriptions of the SDK: recovery across a dropped connection.</summary>
public abstract class LiveSuite : ClientTestBase
{
    [Fact]
    public async Task Publications_made_while_the_connection_is_down_arrive_after_the_reconnect_all_in_order_once()
    {
        var app = Start(realServer: true);
        await using var proxy = new SwitchableProxy(app.Address);
        var writer = await OpenAsync(app.Address, Token(app, "laptop-1"), "writer");
        var watcher = await OpenAsync(proxy.Address, Token(app, "watcher-1", role: "viewer"), "watcher");
        var received = new List<LivePublication>();
        await using var subscription = await watcher.SubscribeAsync("demo/entities/team", p =>
        {
            lock (received)
            {
                received.Add(p);
            }

            return Task.CompletedTask;
        });

        proxy.SwitchTo(DeadAddress()); // the connection drops and reconnecting fails
        for (var i = 0; i < 20; i++)
        {
            await writer.CreateAsync("team", $"m{i:00}", Member($"M{i}", id: $"m{i}"));
        }

        await writer.PushAsync();
        Assert.Empty(received);
        proxy.SwitchTo(app.Address);

        await EventuallyAsync(() => Task.FromResult(received.Count >= 20), "the recovered publications", seconds: 30);
        await Task.Delay(500); // nothing more may come (no duplicates)
        List<LivePublication> got;
        lock (received)
        {
            got = [.. received];
        }

        Assert.Equal(20, got.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => got[0].Offset + i), got.Select(p => p.Offset));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i:00}"), got.Select(p => Id(p.Data)));
    }

    private static string? Id(JsonElement data) =>
        data.TryGetProperty("id", out var id) ? id.GetString() : data.TryGetProperty("entityId", out var e) ? e.GetString() : data.GetRawText();
}

public sealed class SqliteLiveTests : LiveSuite
{
    protected override Backend Backend => Backend.Sqlite;
}
