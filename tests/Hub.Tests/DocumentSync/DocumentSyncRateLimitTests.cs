using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Tests.Metrics;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.DocumentSync;

/// <summary>documents/sync is under the sync routes' rate limits (Sync:RateLimits), with the same budget.</summary>
// Parses /metrics strictly: no other host may be alive in the process (each host's framework meters share their names).
[Collection(MetricsCollection.Name)]
public sealed class DocumentSyncRateLimitTests
{
    [Fact]
    public async Task Over_the_client_rate_limit_document_sync_gets_429_with_retry_after_and_is_counted()
    {
        await using var app = new HubApp(new Dictionary<string, string?>
        {
            ["Sync:RateLimits:PerClient:PermitLimit"] = "2",
            ["Sync:RateLimits:PerClient:WindowSeconds"] = "30",
        });
        using var client = Client(app, "tablet-1");
        using var other = Client(app, "tablet-2");
        var before = PrometheusText.Parse(await app.CreateClient().GetStringAsync("/metrics")).Value("rs_rate_limit_rejections_total", "limit=sync-client");

        // One sync/down and one documents/sync page use the client's budget of two; the next page is refused.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/sync/down", new StringContent("""{"clientId":"tablet-1"}""", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/tenants/demo/documents/sync")).StatusCode);
        var limited = await client.GetAsync("/api/tenants/demo/documents/sync");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 30);
        Assert.Equal("clientId", JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/tenants/demo/documents/sync")).StatusCode); // its own budget
        var after = PrometheusText.Parse(await app.CreateClient().GetStringAsync("/metrics")).Value("rs_rate_limit_rejections_total", "limit=sync-client");
        Assert.True(after >= before + 1, $"rs_rate_limit_rejections_total{{limit=sync-client}} went from {before} to {after}");
    }

    private static HttpClient Client(HubApp app, string subject)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", subject, ["editor"], TimeSpan.FromMinutes(10)));
        return client;
    }
}
