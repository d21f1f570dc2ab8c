using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Tests.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.SiteKeys;

/// <summary>
/// The README "Frontend sites" flow with the product's browser client (wwwroot/realtime-sync.js over the real
/// @microsoft/signalr, negotiate included) on a real socket: site key → POST /api/site-tokens → subscribe.
/// </summary>
public sealed class SiteTokenClientTests : IAsyncLifetime
{
    private readonly HubApp app = new(realServer: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task The_browser_client_with_a_minted_token_gets_entity_pushes_and_is_refused_presence()
    {
        var key = await app.Services.GetRequiredService<ISiteKeyAdmin>().CreateAsync("demo", "www.example.com", "admin");
        using var http = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(15) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/site-tokens") { Content = JsonContent.Create(new { ttlSeconds = 300 }) };
        request.Headers.Add("X-Api-Key", key.Secret);
        using var minted = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        var token = JsonDocument.Parse(await minted.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;

        await using var subscriber = NodeSubscriber.Start(new Uri(app.Address, "/hubs/sync"), token, ["demo/entities/team", "demo/presence/team"]);
        await subscriber.WaitForEventAsync("subscribed", "the entities subscription");
        var refusal = await subscriber.WaitForEventAsync("error", "the presence refusal");
        Assert.Equal("demo/presence/team", refusal.GetProperty("channel").GetString());
        Assert.StartsWith("Not allowed: a subscribe-scoped token", refusal.GetProperty("message").GetString());

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "editor-1", ["editor"], TimeSpan.FromMinutes(5)));
        using var current = JsonDocument.Parse(await http.GetStringAsync("/api/tenants/demo/entities/team/grace"));
        var patch = await http.PatchAsJsonAsync("/api/tenants/demo/entities/team/grace",
            new { baseVersion = current.RootElement.GetProperty("version").GetInt64(), fields = new { role = "Admiral" } });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var publication = await subscriber.WaitForEventAsync("publication", "the push of the edit");
        Assert.Equal("Admiral", publication.GetProperty("data").GetProperty("changed").GetProperty("role").GetString());
    }
}
