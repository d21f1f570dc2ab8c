using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime;

/// <summary>
/// The product's JavaScript client (wwwroot/realtime-sync.js) against the real host over real sockets:
/// a Node process per subscriber (tests/node/subscriber.mjs), edits through the entities API. Network
/// drops and lost messages are made by the driver's TCP proxy, never by telling the client.
/// </summary>
public sealed class HubClientTests : IAsyncLifetime
{
    private const string TeamChannel = "demo/entities/team";

    private readonly List<IAsyncDisposable> owned = [];
    private HubApp? app;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Subscribers first (they were added after the host), then the host.
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            await owned[i].DisposeAsync();
        }
    }

    [Fact]
    public async Task A_subscriber_receives_an_api_edit_with_changed_fields_version_and_actor()
    {
        StartHost();
        var subscriber = Subscribe(Token("demo", "viewer", "demo-site"), TeamChannel);
        await subscriber.WaitForEventAsync("subscribed", "the subscription");

        var written = await PatchAsync("ada", new { role = "Chief Engineer" });

        var publication = await subscriber.WaitForEventAsync("publication", "the publication of the edit");
        Assert.Equal(TeamChannel, publication.GetProperty("channel").GetString());
        Assert.Equal(1, publication.GetProperty("offset").GetInt64());
        Assert.Equal("entity.changed", publication.GetProperty("type").GetString());
        var data = publication.GetProperty("data");
        Assert.Equal("ada", data.GetProperty("id").GetString());
        Assert.Equal("update", data.GetProperty("operation").GetString());
        Assert.Equal(written, data.GetProperty("version").GetInt64());
        Assert.Equal("editor-1", data.GetProperty("actor").GetString());
        Assert.Equal("Chief Engineer", data.GetProperty("changed").GetProperty("role").GetString());
        Assert.Equal(["role"], data.GetProperty("changed").EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_a_network_drop_the_subscriber_recovers_all_20_missed_edits_in_order_without_duplicates(bool messagePack)
    {
        StartHost();
        var subscriber = Subscribe(Token("demo", "viewer", "demo-site"), [TeamChannel], proxy: true, messagePack);
        await subscriber.WaitForEventAsync("subscribed", "the subscription");

        await DropAsync(subscriber);
        var versions = new List<long>();
        for (var i = 1; i <= 20; i++)
        {
            versions.Add(await PatchAsync("grace", new { role = $"Role {i}" }));
        }

        await subscriber.SendAsync("restore");
        var recovered = await subscriber.WaitForAsync(e => NodeSubscriber.Is(e, "recovered"), "the recovery after the reconnect");
        Assert.Equal("reconnect", recovered.GetProperty("reason").GetString());
        Assert.Equal(20, recovered.GetProperty("recovered").GetInt32());

        // One live edit after the recovery: once it is in, anything duplicated would have been delivered too.
        versions.Add(await PatchAsync("grace", new { role = "Live again" }));
        await subscriber.WaitForAsync(e => NodeSubscriber.Is(e, "publication") && e.GetProperty("offset").GetInt64() == 21, "the live edit after the recovery");

        var publications = subscriber.Publications;
        Assert.Equal(Enumerable.Range(1, 21).Select(i => (long)i), publications.Select(p => p.GetProperty("offset").GetInt64()));
        Assert.Equal(versions, publications.Select(p => p.GetProperty("data").GetProperty("version").GetInt64()));
        Assert.Equal(
            Enumerable.Range(1, 20).Select(i => $"Role {i}").Append("Live again"),
            publications.Select(p => p.GetProperty("data").GetProperty("changed").GetProperty("role").GetString()));
        Assert.DoesNotContain(subscriber.Events, e => NodeSubscriber.Is(e, "resync") || NodeSubscriber.Is(e, "error"));
    }

    [Fact]
    public async Task A_subscriber_that_missed_more_than_the_history_window_is_told_to_resync_and_goes_on_live()
    {
        StartHost(new() { ["Realtime:History:MaxCount"] = "5" });
        var subscriber = Subscribe(Token("demo", "viewer", "demo-site"), TeamChannel, proxy: true);
        await subscriber.WaitForEventAsync("subscribed", "the subscription");

        await DropAsync(subscriber);
        for (var i = 1; i <= 10; i++)
        {
            await PatchAsync("alan", new { role = $"Role {i}" });
        }

        await subscriber.SendAsync("restore");
        var resync = await subscriber.WaitForEventAsync("resync", "the resync signal");
        Assert.Equal(TeamChannel, resync.GetProperty("channel").GetString());
        Assert.Equal(0, resync.GetProperty("previous").GetProperty("offset").GetInt64());
        Assert.Equal(10, resync.GetProperty("offset").GetInt64());

        // After the app's refetch it continues from the server's position: the next edit arrives live.
        var version = await PatchAsync("alan", new { role = "After resync" });
        var live = await subscriber.WaitForEventAsync("publication", "the live edit after the resync");
        Assert.Equal(11, live.GetProperty("offset").GetInt64());
        Assert.Equal(version, live.GetProperty("data").GetProperty("version").GetInt64());
        Assert.Single(subscriber.Publications);
    }

    [Fact]
    public async Task A_publication_lost_on_the_way_is_detected_as_a_gap_and_recovered_on_the_same_connection()
    {
        StartHost();
        var subscriber = Subscribe(Token("demo", "viewer", "demo-site"), TeamChannel);
        await subscriber.WaitForEventAsync("subscribed", "the subscription");
        await PatchAsync("ada", new { role = "One" });
        await subscriber.WaitForEventAsync("publication", "the first publication");

        // Offset 2 goes into the channel history but is never sent: for this client it was lost on the way.
        var lost = JsonSerializer.SerializeToElement(new { id = "ada", type = "team", operation = "update", version = 99, changed = new { role = "Two" } });
        await App.Services.GetRequiredService<IChannelHistory>().AppendAsync(TeamChannel, "entity.changed", lost);
        await PatchAsync("ada", new { role = "Three" }); // offset 3, delivered live: the client sees the gap

        var recovered = await subscriber.WaitForEventAsync("recovered", "the gap recovery");
        await subscriber.WaitForCountAsync(e => NodeSubscriber.Is(e, "publication"), 3, "three publications");
        Assert.Equal("gap", recovered.GetProperty("reason").GetString());
        Assert.Equal(1, recovered.GetProperty("since").GetProperty("offset").GetInt64());
        Assert.Equal([1L, 2L, 3L], subscriber.Publications.Select(p => p.GetProperty("offset").GetInt64()));
        Assert.Equal(["One", "Two", "Three"], subscriber.Publications.Select(p => p.GetProperty("data").GetProperty("changed").GetProperty("role").GetString()));
        Assert.DoesNotContain(subscriber.Events, e => NodeSubscriber.Is(e, "state") && e.GetProperty("state").GetString() == "reconnecting");
    }

    [Fact]
    public async Task Subscribing_to_another_tenants_channel_is_refused_with_the_reason()
    {
        StartHost();
        var subscriber = Subscribe(Token("acme", "admin", "mallory"), TeamChannel);

        var error = await subscriber.WaitForEventAsync("error", "the refusal");
        Assert.Equal(TeamChannel, error.GetProperty("channel").GetString());
        Assert.Equal("Not allowed: channel 'demo/entities/team' belongs to another tenant.", error.GetProperty("message").GetString());
        Assert.DoesNotContain(subscriber.Events, e => NodeSubscriber.Is(e, "subscribed"));
    }

    [Fact]
    public async Task A_malformed_channel_name_is_refused_with_the_reason()
    {
        StartHost();
        var subscriber = Subscribe(Token("demo", "viewer", "demo-site"), ["demo/entities/team/../../acme", "demo/secrets/x", TeamChannel], proxy: false);

        var errors = await subscriber.WaitForCountAsync(e => NodeSubscriber.Is(e, "error"), 2, "two refusals");
        Assert.Equal(
            ["'demo/entities/team/../../acme' is not a valid channel name.", "'demo/secrets/x' is not a valid channel name."],
            errors.Select(e => e.GetProperty("message").GetString()).Order(StringComparer.Ordinal));

        // The refusals do not harm the connection: the valid channel works.
        var subscribed = await subscriber.WaitForEventAsync("subscribed", "the valid subscription");
        Assert.Equal(TeamChannel, subscribed.GetProperty("channel").GetString());
    }

    private void StartHost(Dictionary<string, string?>? settings = null)
    {
        app = new HubApp(settings, realServer: true);
        owned.Add(app);
    }

    private HubApp App => app ?? throw new InvalidOperationException("StartHost first");

    private string Token(string tenant, string role, string subject) =>
        App.Services.GetRequiredService<TokenIssuer>().Issue(tenant, subject, [role], TimeSpan.FromMinutes(10));

    private NodeSubscriber Subscribe(string token, string channel, bool proxy = false) => Subscribe(token, [channel], proxy);

    private NodeSubscriber Subscribe(string token, IEnumerable<string> channels, bool proxy, bool messagePack = false)
    {
        var subscriber = NodeSubscriber.Start(new Uri(App.Address, "/hubs/sync"), token, channels, proxy, messagePack);
        owned.Add(subscriber);
        return subscriber;
    }

    /// <summary>Cuts the subscriber's network and waits until its client noticed (it is reconnecting).</summary>
    private static async Task DropAsync(NodeSubscriber subscriber)
    {
        await subscriber.SendAsync("drop");
        await subscriber.WaitForAsync(e => NodeSubscriber.Is(e, "state") && e.GetProperty("state").GetString() == "reconnecting", "the client to notice the drop");
    }

    /// <summary>PATCHes a team member at its current version as editor-1; returns the new version.</summary>
    private async Task<long> PatchAsync(string id, object fields)
    {
        using var http = new HttpClient { BaseAddress = App.Address, Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token("demo", "editor", "editor-1"));
        var path = $"/api/tenants/demo/entities/team/{id}";
        using var current = JsonDocument.Parse(await http.GetStringAsync(path));
        var response = await http.PatchAsJsonAsync(path, new { baseVersion = current.RootElement.GetProperty("version").GetInt64(), fields });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var written = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("applied", written.RootElement.GetProperty("status").GetString());
        return written.RootElement.GetProperty("entity").GetProperty("version").GetInt64();
    }
}
