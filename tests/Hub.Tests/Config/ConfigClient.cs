using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Config;

/// <summary>/api/config through a node's HTTP pipeline, with an operator (or other role's) token.</summary>
internal static class ConfigClient
{
    public static HttpClient For(HubApp app, string role = "operator", string subject = "ops-alice", string tenant = "demo")
    {
        var client = app.CreateClient();
        var token = app.Services.GetRequiredService<TokenIssuer>().Issue(tenant, subject, [role], TimeSpan.FromMinutes(10));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task<(HttpStatusCode Status, JsonNode? Body)> PutAsync(HttpClient client, string key, string body, string contentType = "application/json")
    {
        var response = await client.PutAsync($"/api/config/{key}", new StringContent(body, Encoding.UTF8, contentType));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public static async Task<JsonObject> GetAsync(HttpClient client, string key)
    {
        var response = await client.GetAsync($"/api/config/{key}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<JsonObject> ListAsync(HttpClient client)
    {
        var response = await client.GetAsync("/api/config");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Polls until <paramref name="condition"/> holds; returns how long it took; fails after <paramref name="timeout"/>.</summary>
    public static async Task<TimeSpan> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await condition())
            {
                return clock.Elapsed;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"{what}: not within {timeout.TotalSeconds:0.#} s");
        return clock.Elapsed;
    }
}
