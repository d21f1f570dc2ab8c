using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Hub.Tests.Config;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Metrics;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    // The meter is process-wide: gauges (connections) are only exact while no other test runs.
    public const string Name = "metrics";
}

/// <summary>/metrics of the real host, parsed strictly, before and after the actions each counter measures.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests : IAsyncLifetime
{
    private readonly HubApp app = new(realServer: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    private async Task<PrometheusText> ScrapeAsync()
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private HttpClient Api(string role)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", $"metrics-{role}", [role], TimeSpan.FromMinutes(10)));
        return client;
    }

    private static async Task<HttpResponseMessage> PatchAsync(HttpClient client, long baseVersion, string role) =>
        await client.PatchAsync("/api/tenants/demo/entities/team/ada",
            new StringContent($$$"""{"baseVersion": {{{baseVersion}}}, "fields": {"role": "{{{role}}}"}}""", Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Metrics_parse_as_prometheus_text_and_counters_move_with_the_matching_actions()
    {
        var before = await ScrapeAsync();
        Assert.Equal(1, before.Value("rs_lock_owned", "job=presence-cleanup")); // embedded: this node holds every singleton job
        Assert.Equal(0, before.Value("rs_config_degraded", "mode=file"));

        // A subscriber connects and subscribes; an editor changes a team member: one publication, one delivery.
        var viewerToken = app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "metrics-viewer", ["viewer"], TimeSpan.FromMinutes(10));
        await using (var subscriber = await RawHubClient.ConnectAsync(app.Address, viewerToken))
        {
            await subscriber.InvokeAsync("Subscribe", "demo/entities/team", null);
            var connected = await ScrapeAsync();
            Assert.Equal(before.Value("rs_hub_connections") + 1, connected.Value("rs_hub_connections"));
            Assert.True(connected.Value("signalr_server_active_connections", "signalr_transport=web_sockets") >= 1); // SignalR's own meter
            Assert.Equal(before.Value("rs_hub_subscriptions", "kind=entities") + 1, connected.Value("rs_hub_subscriptions", "kind=entities"));

            using var editor = Api("editor");
            var current = JsonNode.Parse(await editor.GetStringAsync("/api/tenants/demo/entities/team/ada"))!["version"]!.GetValue<long>();
            Assert.Equal(HttpStatusCode.OK, (await PatchAsync(editor, current, "metrics-1")).StatusCode);
            await subscriber.WaitForAsync("publication");

            // The same base version again, the same field to another value: a conflict, refused under the Reject policy.
            Assert.Equal(HttpStatusCode.Conflict, (await PatchAsync(editor, current, "metrics-2")).StatusCode);

            // A subscribe from a position of another epoch: resync.
            await subscriber.InvokeAsync("Subscribe", "demo/entities/services", new { epoch = "gone", offset = 3 });

            // A configuration write (the body limit down to 1 KiB), then a body over it: small enough to be sent whole
            // before the server answers 413 (a megabyte-sized one can meet a closed socket on a real port).
            using var admin = ConfigClient.For(app);
            Assert.Equal(HttpStatusCode.OK, (await ConfigClient.PutAsync(admin, "Limits:MaxRequestBodyBytes", """{"value": 1024}""")).Status);
            var tooBig = await editor.PatchAsync("/api/tenants/demo/entities/team/ada", new StringContent(new string(' ', 4096), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);

            var after = await ScrapeAsync();
            // OpenTelemetry exports a series once it has a measurement (the home-made exporter declared every family at start).
            Assert.Equal("counter", after.Types["rs_publications_total"]);
            Assert.Equal("gauge", after.Types["rs_hub_connections"]);
            Assert.Equal(before.Value("rs_publications_total", "kind=entities") + 1, after.Value("rs_publications_total", "kind=entities"));
            Assert.Equal(before.Value("rs_deliveries_total", "kind=entities") + 1, after.Value("rs_deliveries_total", "kind=entities"));
            Assert.Equal(before.Value("rs_entities_merge_conflicts_total", "policy=Reject") + 1, after.Value("rs_entities_merge_conflicts_total", "policy=Reject"));
            Assert.Equal(before.Value("rs_hub_recoveries_total", "kind=entities", "result=resync") + 1, after.Value("rs_hub_recoveries_total", "kind=entities", "result=resync"));
            Assert.Equal(before.Value("rs_rate_limit_rejections_total", "limit=body-size") + 1, after.Value("rs_rate_limit_rejections_total", "limit=body-size"));
            Assert.Equal(before.Value("rs_config_writes_total", "result=written") + 1, after.Value("rs_config_writes_total", "result=written"));
            Assert.Equal(before.Value("rs_hub_subscriptions", "kind=entities") + 2, after.Value("rs_hub_subscriptions", "kind=entities"));
        }

        // The connection closed: the gauges go back.
        var closedAt = DateTime.UtcNow;
        PrometheusText closed;
        do
        {
            await Task.Delay(50);
            closed = await ScrapeAsync();
        }
        while (closed.Value("rs_hub_connections") != before.Value("rs_hub_connections") && DateTime.UtcNow - closedAt < TimeSpan.FromSeconds(5));

        Assert.Equal(before.Value("rs_hub_connections"), closed.Value("rs_hub_connections"));
        Assert.Equal(before.Value("rs_hub_subscriptions", "kind=entities"), closed.Value("rs_hub_subscriptions", "kind=entities"));
    }


    [Fact]
    public async Task A_sync_client_lag_is_the_changes_it_still_has_to_fetch_after_its_last_page()
    {
        using var sync = Api("editor");
        var client = $"lag-{Guid.NewGuid():N}"[..12];
        sync.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", client, ["editor"], TimeSpan.FromMinutes(10)));
        using var editor = Api("editor");
        for (var i = 0; i < 3; i++)
        {
            var created = await editor.PostAsync("/api/tenants/demo/entities/team", new StringContent(
                $$$"""{"id": "{{{client}}}-{{{i}}}", "fields": {"name": "Lag {{{i}}}", "role": "Dev", "joinDate": "2022-01-10", "employeeId": "E-{{{client}}}-{{{i}}}"}}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // One change per page: the client is behind by everything after it.
        var first = await sync.PostAsync("/api/sync/down", new StringContent($$"""{"clientId": "{{client}}", "limit": 1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var cursor = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["cursor"]!.GetValue<string>();
        var behind = (await ScrapeAsync()).Value("rs_sync_client_lag", $"client={client}");
        Assert.True(behind >= 3, $"lag after one page: {behind}");

        var rest = await sync.PostAsync("/api/sync/down", new StringContent($$"""{"clientId": "{{client}}", "cursor": "{{cursor}}", "limit": 500}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        Assert.False(JsonNode.Parse(await rest.Content.ReadAsStringAsync())!["hasMore"]!.GetValue<bool>());
        var caughtUp = await ScrapeAsync();
        Assert.True(caughtUp.Has("rs_sync_client_lag", $"client={client}"));
        Assert.Equal(0, caughtUp.Value("rs_sync_client_lag", $"client={client}"));
    }
    [Fact]
    public async Task Every_instrument_of_the_product_meter_is_exported_with_escaped_labels_and_cumulative_histogram_buckets()
    {
        using var meter = new Meter(ProductTelemetry.MeterName);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var counter = meter.CreateCounter<long>($"rs.test_{suffix}.jobs", description: "line one\nline two \\ end");
        var histogram = meter.CreateHistogram<double>($"rs.test_{suffix}.duration", unit: "ms");
        var gauge = meter.CreateUpDownCounter<int>($"rs.test_{suffix}.open");
        using var other = new Meter("SomeoneElse");
        other.CreateCounter<long>($"other_{suffix}").Add(1);

        counter.Add(2, new KeyValuePair<string, object?>("state", "say \"hi\"\nback\\slash"));
        counter.Add(3, new KeyValuePair<string, object?>("state", "say \"hi\"\nback\\slash"));
        counter.Add(1, new KeyValuePair<string, object?>("state", "plain"), new KeyValuePair<string, object?>("tier", 2));
        foreach (var ms in new[] { 0.5, 3, 7, 7, 40, 20_000 })
        {
            histogram.Record(ms, new KeyValuePair<string, object?>("direction", "up"));
        }

        gauge.Add(5);
        gauge.Add(-2);

        using var client = app.CreateClient();
        var text = await client.GetStringAsync("/metrics");
        var parsed = PrometheusText.Parse(text);

        Assert.Equal(5, parsed.Value($"rs_test_{suffix}_jobs_total", "state=say \"hi\"\nback\\slash"));
        Assert.Equal(1, parsed.Value($"rs_test_{suffix}_jobs_total", "state=plain", "tier=2"));
        Assert.Contains("""state="say \"hi\"\nback\\slash""", text);
        Assert.Contains($"# HELP rs_test_{suffix}_jobs_total line one\\nline two \\\\ end", text);
        // OpenTelemetry's exporter names the unit: a histogram in "ms" ends in _milliseconds (README lists the renames).
        var duration = $"rs_test_{suffix}_duration_milliseconds";
        Assert.Equal("histogram", parsed.Types[duration]);
        Assert.Equal(0, parsed.Value($"{duration}_bucket", "direction=up", "le=0"));
        Assert.Equal(2, parsed.Value($"{duration}_bucket", "direction=up", "le=5"));
        Assert.Equal(4, parsed.Value($"{duration}_bucket", "direction=up", "le=10"));
        Assert.Equal(5, parsed.Value($"{duration}_bucket", "direction=up", "le=10000"));
        Assert.Equal(6, parsed.Value($"{duration}_bucket", "direction=up", "le=+Inf"));
        Assert.Equal(6, parsed.Value($"{duration}_count", "direction=up"));
        Assert.Equal(20_057.5, parsed.Value($"{duration}_sum", "direction=up"));
        Assert.Equal(3, parsed.Value($"rs_test_{suffix}_open"));
        Assert.DoesNotContain($"other_{suffix}", text);
        Assert.Throws<FormatException>(() => PrometheusText.Parse("rs_x_total 1\n")); // the parser is strict: no TYPE, no sample
    }

    [Fact]
    public async Task The_framework_meters_are_exported_next_to_the_product_meter()
    {
        using var client = app.CreateClient();
        (await client.GetAsync("/health/live")).Dispose();
        var parsed = PrometheusText.Parse(await client.GetStringAsync("/metrics"));
        Assert.Contains("http_server_request_duration_seconds", parsed.Types.Keys); // ASP.NET Core hosting
        Assert.Contains(parsed.Types.Keys, k => k.StartsWith("kestrel_", StringComparison.Ordinal));
        Assert.Contains(parsed.Types.Keys, k => k.StartsWith("dotnet_", StringComparison.Ordinal)); // runtime
        Assert.Contains("target_info", parsed.Types.Keys);
    }
}
