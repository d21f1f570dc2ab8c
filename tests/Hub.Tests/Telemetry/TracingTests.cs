using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Hub.Tests.Documents;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Telemetry;

/// <summary>The product's spans, collected by OpenTelemetry's in-memory exporter inside the real host.</summary>
public sealed class TracingTests
{
    private static readonly string[] EditSpans = ["entity.edit", "entity.merge", "entity.commit", "changefeed.publish", "history.append", "fanout.deliver"];

    [Fact]
    public async Task A_backoffice_edit_is_one_trace_from_the_edit_to_the_fan_out_with_tenant_and_node()
    {
        var exported = new List<Activity>();
        var node = $"trace-{Guid.NewGuid():N}"[..14];
        await using var app = new HubApp(new Dictionary<string, string?> { ["Node:Id"] = node },
            services: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(exported)));
        var editing = app.Services.GetRequiredService<IEntityEditing>();
        var current = await editing.GetAsync("demo", "team", "ada");

        var saved = await editing.UpdateAsync("demo", "team", "ada", current!.Version, new Dictionary<string, JsonNode?> { ["role"] = "traced" }, "admin");
        Assert.Equal("applied", saved.Status);

        // The change feed publishes in the background: wait (bounded) for the fan-out span of this edit's trace.
        var spans = await TraceOfAsync(exported, s => s.OperationName == "entity.edit" && Equals(s.GetTagItem(ProductTelemetry.NodeTag), node), "fanout.deliver");

        Assert.Equal(EditSpans, spans.Where(s => EditSpans.Contains(s.OperationName)).Select(s => s.OperationName));
        var byName = spans.GroupBy(s => s.OperationName).ToDictionary(g => g.Key, g => g.First());
        Assert.Equal(byName["entity.edit"].SpanId, byName["entity.merge"].ParentSpanId);
        Assert.Equal(byName["entity.edit"].SpanId, byName["entity.commit"].ParentSpanId);
        Assert.Equal(byName["entity.commit"].SpanId, byName["changefeed.publish"].ParentSpanId);
        Assert.Equal(byName["changefeed.publish"].SpanId, byName["history.append"].ParentSpanId);
        Assert.Equal(byName["changefeed.publish"].SpanId, byName["fanout.deliver"].ParentSpanId);
        Assert.All(EditSpans, name =>
        {
            Assert.Equal("demo", byName[name].GetTagItem(ProductTelemetry.TenantTag));
            Assert.Equal(node, byName[name].GetTagItem(ProductTelemetry.NodeTag));
        });
        Assert.Equal("ada", byName["entity.edit"].GetTagItem(ProductTelemetry.EntityIdTag));
        Assert.Equal("demo/entities/team", byName["history.append"].GetTagItem(ProductTelemetry.ChannelTag));
        Assert.Equal("demo/entities/team", byName["fanout.deliver"].GetTagItem(ProductTelemetry.ChannelTag));
    }

    [Fact]
    public async Task An_api_edit_continues_the_request_trace_and_its_log_events_carry_the_trace_id()
    {
        var exported = new List<Activity>();
        var logFile = Path.Combine(Path.GetTempPath(), "rs-tests", $"trace-log-{Guid.NewGuid():N}.json");
        var node = $"trace-{Guid.NewGuid():N}"[..14];
        var traceId = "";
        await using (var app = new HubApp(new Dictionary<string, string?> { ["Node:Id"] = node, ["Logging:File"] = logFile },
            services: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(exported))))
        {
            using var client = app.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "tracer", ["editor"], TimeSpan.FromMinutes(5)));
            var created = await client.PostAsync("/api/tenants/demo/entities/team",
                new StringContent("""{"id": "traced-api", "fields": {"name": "Traced", "role": "api", "joinDate": "2022-01-10", "employeeId": "E-traced"}}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

            var spans = await TraceOfAsync(exported, s => s.OperationName == "entity.edit" && Equals(s.GetTagItem(ProductTelemetry.EntityIdTag), "traced-api"), "fanout.deliver",
                s => s.Kind == ActivityKind.Server); // the request's span ends (and is exported) after the response
            var request = Assert.Single(spans, s => s.Kind == ActivityKind.Server);
            Assert.Equal(request.SpanId, spans.Single(s => s.OperationName == "entity.edit").ParentSpanId);
            traceId = request.TraceId.ToString();
        }

        var written = Directory.GetFiles(Path.GetDirectoryName(logFile)!, Path.GetFileNameWithoutExtension(logFile) + "*").Single();
        var lines = await File.ReadAllLinesAsync(written);
        File.Delete(written);
        Assert.Contains(lines, l => l.Contains("\"RequestPath\":\"/api/tenants/demo/entities/team\"", StringComparison.Ordinal)
            && l.Contains($"\"TraceId\":\"{traceId}\"", StringComparison.Ordinal));
    }


    [Fact]
    public async Task A_save_is_one_trace_from_the_callback_through_spool_upload_and_commit_to_the_push()
    {
        var exported = new List<Activity>();
        await using var host = await DocumentsHost.StartAsync(services: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(exported)));
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(8_000));
        var (callback, key) = await host.SessionAsync(doc.Id);
        Assert.Equal((200, "{\"error\":0}"), await host.DocumentServer.SendCallbackAsync(callback,
            DocumentServerStandIn.Body(key, 2, host.DocumentServer.Serve(RandomNumberGenerator.GetBytes(9_000)), "2026-12-06T05:10:00Z"), Signing.BodyToken));
        await host.WaitForVersionAsync(doc.Id, 2, TimeSpan.FromSeconds(30));

        var spans = await TraceOfAsync(exported, s => s.OperationName == "document.callback" && Equals(s.GetTagItem(ProductTelemetry.DocumentIdTag), doc.Id), "document.push");
        var byName = spans.GroupBy(s => s.OperationName).ToDictionary(g => g.Key, g => g.Last());
        string[] order = ["document.callback", "document.spool", "document.save", "document.upload", "document.commit", "document.push"];
        Assert.Equal(order, spans.Where(s => order.Contains(s.OperationName) && s.TraceId == byName["document.save"].TraceId)
            .Select(s => s.OperationName).Distinct());
        Assert.Equal(byName["document.callback"].SpanId, byName["document.spool"].ParentSpanId);
        Assert.Equal(byName["document.spool"].SpanId, byName["document.save"].ParentSpanId); // the worker continues the callback's trace
        Assert.All(["document.upload", "document.commit", "document.push"], name => Assert.Equal(byName["document.save"].SpanId, byName[name].ParentSpanId));
        Assert.All(order, name => Assert.Equal("demo", byName[name].GetTagItem(ProductTelemetry.TenantTag)));
        Assert.Equal(doc.Id, byName["document.save"].GetTagItem(ProductTelemetry.DocumentIdTag));
    }
    /// <summary>Every exported span of the trace whose root matches, once its <paramref name="last"/> span was exported, in start order.</summary>
    private static async Task<List<Activity>> TraceOfAsync(List<Activity> exported, Func<Activity, bool> root, string last, Func<Activity, bool>? also = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            Activity[] snapshot;
            lock (exported)
            {
                // The exporter appends without this lock (on the thread that ends a span): a torn copy is retried.
                snapshot = [.. exported.Where(a => a is not null)];
            }

            if (snapshot.FirstOrDefault(root) is { } found)
            {
                var trace = snapshot.Where(s => s.TraceId == found.TraceId).OrderBy(s => s.StartTimeUtc).ToList();
                if (trace.Any(s => s.OperationName == last) && (also is null || trace.Any(also)))
                {
                    return trace;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {last} span in the trace within 15 s; spans: {string.Join(", ", snapshot.Select(s => s.OperationName))}");
            await Task.Delay(50);
        }
    }
}
