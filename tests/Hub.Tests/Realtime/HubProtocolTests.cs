using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime;

/// <summary>
/// Subscribe, live delivery, recovery and resync through the .NET SignalR client on both hub protocols.
/// Payloads are read as plain maps with the client's default settings, so the test sees what any
/// MessagePack client sees: the JSON contract's camelCase shapes.
/// </summary>
public sealed class HubProtocolTests : IAsyncLifetime
{
    private const int HistoryMaxCount = 5;

    private readonly HubApp app = new(new Dictionary<string, string?> { ["Realtime:History:MaxCount"] = HistoryMaxCount.ToString(System.Globalization.CultureInfo.InvariantCulture) }, realServer: true);
    private readonly List<HubConnection> connections = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }

        await app.DisposeAsync();
    }

    [Theory]
    [InlineData("json")]
    [InlineData("messagepack")]
    public async Task A_client_subscribes_receives_live_publications_recovers_missed_ones_and_is_told_to_resync_beyond_the_history(string protocol)
    {
        var channel = $"demo/entities/proto{protocol}";
        var (connection, publications) = await ConnectAsync(protocol);

        var subscribed = Map(await connection.InvokeAsync<Dictionary<string, object?>>("Subscribe", channel, null));
        Assert.Equal(false, subscribed["resyncRequired"]);
        var epoch = (string)subscribed["epoch"]!;

        await PublishAsync(channel, 1);
        var live = Map(await publications.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["channel", "epoch", "offset", "type", "data"], live.Keys);
        Assert.Equal(channel, live["channel"]);
        Assert.Equal(epoch, live["epoch"]);
        Assert.Equal(1L, Convert.ToInt64(live["offset"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("entity.changed", live["type"]);
        var data = Map(live["data"]);
        Assert.Equal("ada", data["id"]);
        Assert.Equal(1L, Convert.ToInt64(data["n"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(true, Map(data["nested"])["ok"]);
        Assert.Null(data["missing"]);

        // Missed while away: recovered in order from the history.
        await connection.InvokeAsync("Unsubscribe", channel);
        for (var n = 2; n <= 4; n++)
        {
            await PublishAsync(channel, n);
        }

        var recovered = Map(await connection.InvokeAsync<Dictionary<string, object?>>("Subscribe", channel, Position(epoch, 1)));
        Assert.Equal(true, recovered["recovered"]);
        Assert.Equal(false, recovered["resyncRequired"]);
        var items = ((List<object?>)recovered["publications"]!).Select(Map).ToList();
        Assert.Equal([2L, 3L, 4L], items.Select(p => Convert.ToInt64(p["offset"], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal([2L, 3L, 4L], items.Select(p => Convert.ToInt64(Map(p["data"])["n"], System.Globalization.CultureInfo.InvariantCulture)));

        // More missed than the history keeps: resync.
        await connection.InvokeAsync("Unsubscribe", channel);
        for (var n = 5; n <= 5 + HistoryMaxCount; n++)
        {
            await PublishAsync(channel, n);
        }

        var beyond = Map(await connection.InvokeAsync<Dictionary<string, object?>>("Subscribe", channel, Position(epoch, 4)));
        Assert.Equal(true, beyond["resyncRequired"]);
    }

    private async Task<(HubConnection Connection, Channel<Dictionary<string, object?>> Publications)> ConnectAsync(string protocol)
    {
        var token = app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "proto-viewer", ["viewer"], TimeSpan.FromMinutes(10));
        var builder = new HubConnectionBuilder().WithUrl(new Uri(app.Address, "/hubs/sync"), HttpTransportType.WebSockets, options =>
        {
            options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            options.SkipNegotiation = true;
        });
        if (protocol == "messagepack")
        {
            builder.AddMessagePackProtocol();
        }

        var connection = builder.Build();
        connections.Add(connection);
        var publications = Channel.CreateUnbounded<Dictionary<string, object?>>();
        connection.On<Dictionary<string, object?>>(SyncHub.PublicationMethod, p => publications.Writer.TryWrite(p));
        await connection.StartAsync();
        return (connection, publications);
    }

    private Task PublishAsync(string channel, int n) =>
        app.Services.GetRequiredService<ChannelPublisher>().PublishAsync(channel, "entity.changed", new { id = "ada", n, nested = new { ok = true }, missing = (string?)null });

    private static Dictionary<string, object?> Position(string epoch, long offset) => new() { ["epoch"] = epoch, ["offset"] = offset };

    /// <summary>A map as either protocol's client hands it over (JSON: JsonElements; MessagePack: dictionaries and arrays), as plain values.</summary>
    private static Dictionary<string, object?> Map(object? value) =>
        Plain(value) as Dictionary<string, object?> ?? throw new InvalidOperationException($"not a map: {value?.GetType().Name ?? "null"}");

    private static object? Plain(object? value) => value switch
    {
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Object } e => e.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)),
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Array } e => e.EnumerateArray().Select(i => Plain(i)).ToList(),
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.String } e => e.GetString(),
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } e => e.GetInt64(),
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.True } => true,
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.False } => false,
        System.Text.Json.JsonElement => null,
        IDictionary<string, object?> map => map.ToDictionary(p => p.Key, p => Plain(p.Value)),
        IDictionary<object, object?> map => map.ToDictionary(p => (string)p.Key, p => Plain(p.Value)),
        object?[] array => array.Select(Plain).ToList(),
        _ => value,
    };
}
