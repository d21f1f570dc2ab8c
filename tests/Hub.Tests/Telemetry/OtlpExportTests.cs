using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Services;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Telemetry;

/// <summary>
/// <c>OpenTelemetry:Endpoint</c> set: the node sends its traces and metrics over OTLP (http/protobuf) to a collector
/// stand-in on 127.0.0.1 that records what it receives.
/// </summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task With_an_endpoint_set_an_edit_s_spans_and_the_product_s_metrics_reach_the_collector_named_after_the_node()
    {
        await using var collector = await CollectorStandIn.StartAsync();
        var node = $"otlp-{Guid.NewGuid():N}"[..13];
        await using var app = new HubApp(new Dictionary<string, string?>
        {
            ["Node:Id"] = node,
            ["OpenTelemetry:Endpoint"] = collector.Address,
            ["OpenTelemetry:Protocol"] = "http/protobuf",
            ["OpenTelemetry:ServiceName"] = "rs-otlp-test",
            // The SDK's own settings, read from configuration: export often enough for a test.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        var editing = app.Services.GetRequiredService<IEntityEditing>();
        var current = await editing.GetAsync("demo", "team", "ada");
        Assert.Equal("applied", (await editing.UpdateAsync("demo", "team", "ada", current!.Version, new Dictionary<string, JsonNode?> { ["role"] = "exported" }, "admin")).Status);

        // Protobuf carries strings as UTF-8 bytes: the span names, the service and the node id are readable in the payload.
        var traces = await collector.WaitForAsync("/v1/traces", body => body.Contains("entity.edit") && body.Contains("fanout.deliver"), "the edit's spans");
        Assert.Contains("rs-otlp-test", traces);
        Assert.Contains(node, traces);
        var metrics = await collector.WaitForAsync("/v1/metrics", body => body.Contains("rs.publications"), "the product's metrics");
        Assert.Contains(node, metrics);
        Assert.All(collector.ContentTypes, t => Assert.Equal("application/x-protobuf", t));
    }

    private sealed class CollectorStandIn : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly ConcurrentQueue<(string Path, string Body)> received = new();

        private CollectorStandIn(WebApplication app) => this.app = app;

        public string Address => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        public ConcurrentBag<string> ContentTypes { get; } = [];

        public static async Task<CollectorStandIn> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var standIn = new CollectorStandIn(app);
            app.MapPost("/v1/{signal}", async (HttpContext http, string signal) =>
            {
                using var buffer = new MemoryStream();
                await http.Request.Body.CopyToAsync(buffer);
                standIn.ContentTypes.Add(http.Request.ContentType ?? "");
                // Latin-1 keeps every byte: the UTF-8 of ASCII names shows as itself.
                standIn.received.Enqueue(("/v1/" + signal, Encoding.Latin1.GetString(buffer.ToArray())));
                return Results.Ok();
            });
            await app.StartAsync();
            return standIn;
        }

        public async Task<string> WaitForAsync(string path, Func<string, bool> match, string what)
        {
            var body = "";
            await Eventually.HoldsAsync(() =>
            {
                var all = received.Where(r => r.Path == path).Select(r => r.Body).ToList();
                body = all.FirstOrDefault(match) ?? "";
                return body.Length > 0;
            }, $"{what} at {path} (received: {string.Join(", ", received.Select(r => r.Path))})", 30);
            return body;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
