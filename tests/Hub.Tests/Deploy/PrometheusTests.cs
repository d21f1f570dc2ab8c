using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Tests.Documents;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Deploy;

/// <summary>
/// deploy/prometheus (scrape config and alert rules) and deploy/grafana (the dashboard) against Debian's real
/// prometheus scraping two real nodes (PostgreSQL, Redis, a private s3rver, the Document Server stand-in).
/// </summary>
// Alone in the process: another test's hosts would add their series to these nodes' product meter.
[Collection(Metrics.MetricsCollection.Name)]
public sealed class PrometheusTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_alert_rules_and_the_scrape_config_pass_promtool()
    {
        var (code, output) = await RunAsync(TestServers.Promtool, "check", "rules", Path.Combine(Deploy, "alerts.yml"));
        Assert.True(code == 0, output);
        Assert.Contains("7 rules found", output, StringComparison.Ordinal);
        (code, output) = await RunAsync(TestServers.Promtool, "check", "config", Path.Combine(Deploy, "prometheus.yml"));
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Prometheus_scrapes_two_nodes_every_dashboard_query_has_data_and_a_stuck_save_fires_the_pending_alert()
    {
        await using var database = await TestServers.CreatePostgresDatabaseAsync();
        await using var s3 = await PrivateS3rver.StartAsync();
        var settings = s3.Settings();
        settings["ConnectionStrings:Postgres"] = database.ConnectionString;
        settings["Redis:Configuration"] = TestServers.Redis;
        settings["Redis:ChannelPrefix"] = $"rs-prom-{Guid.NewGuid():N}"[..16];
        settings["Documents:UploadRetryDelayMilliseconds"] = "50";
        settings["Documents:MaxJobRetryDelaySeconds"] = "1";
        settings["Documents:BreakSeconds"] = "1";
        settings["OnlyOffice:ProbeIntervalSeconds"] = "1";
        settings["Auth:Jwt:SigningKey"] = "prometheus-test-signing-key-shared-by-both-nodes-0123456789"; // one key on every node
        settings["Node:Id"] = "prom-node-a";
        await using var nodeA = await DocumentsHost.StartAsync(settings, s3: false);
        var settingsB = new Dictionary<string, string?>(settings)
        {
            ["Node:Id"] = "prom-node-b",
            ["OnlyOffice:DocumentServerUrl"] = nodeA.DocumentServer.Address.ToString(),
            ["OnlyOffice:JwtSecret"] = nodeA.DocumentServer.Secret,
            ["Documents:PollMilliseconds"] = "200",
        };
        await using var nodeB = new HubApp(settingsB, realServer: true);
        await using var prometheus = await PrometheusServer.StartAsync([nodeA.App.Address, nodeB.Address]);

        // Both nodes are scraped, as two instances of one job.
        await EventuallyAsync(async () => (await prometheus.QueryAsync("sum(up{job=\"realtime-sync\"})")).SingleOrDefault().Value == 2, "both targets up");
        var instances = await prometheus.QueryAsync("count by (service_instance_id) (target_info{job=\"realtime-sync\"})");
        Assert.Equal(["prom-node-a", "prom-node-b"], instances.Select(i => i.Labels["service_instance_id"]).Order());

        await WorkloadAsync(nodeA, nodeB);

        // S3 stops while a save arrives: the job stays pending, its age grows, the alert goes pending/firing.
        var doc = await nodeA.UploadAsync(RandomNumberGenerator.GetBytes(10_000));
        var (callback, key) = await nodeA.SessionAsync(doc.Id);
        Assert.Equal((200, "{\"error\":0}"), await nodeA.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 1), Signing.BodyToken));
        Assert.Equal((200, "{\"error\":0}"), await nodeA.DocumentServer.SendCallbackAsync(callback,
            DocumentServerStandIn.Body(key, 2, nodeA.DocumentServer.Serve(RandomNumberGenerator.GetBytes(20_000)), "2026-12-06T05:00:00Z"), Signing.BodyToken));
        await nodeA.WaitForVersionAsync(doc.Id, 2, TimeSpan.FromSeconds(30)); // with S3 up it commits

        var (callback2, key2) = await nodeA.SessionAsync(doc.Id);
        s3.Stop();
        var stuckAt = Stopwatch.StartNew();
        Assert.Equal((200, "{\"error\":0}"), await nodeA.DocumentServer.SendCallbackAsync(callback2,
            DocumentServerStandIn.Body(key2, 2, nodeA.DocumentServer.Serve(RandomNumberGenerator.GetBytes(20_000)), "2026-12-06T05:01:00Z"), Signing.BodyToken));
        var state = "";
        await EventuallyAsync(async () =>
        {
            state = await prometheus.AlertStateAsync("SaveJobPendingTooLong") ?? "";
            return state is "pending" or "firing";
        }, "SaveJobPendingTooLong pending or firing");
        Assert.InRange(stuckAt.Elapsed, TimeSpan.FromSeconds(3), Bound); // the test copy's threshold is 3 s of age

        await s3.StartAgainAsync();
        await nodeA.WaitForVersionAsync(doc.Id, 3, TimeSpan.FromSeconds(40));

        // Every query of every dashboard panel returns data.
        var queries = DashboardQueries();
        Assert.True(queries.Count >= 20, $"only {queries.Count} dashboard queries");
        var empty = new List<string>();
        var deadline = DateTime.UtcNow + Bound;
        foreach (var (panel, expr) in queries)
        {
            var query = expr.Replace("$__rate_interval", "30s", StringComparison.Ordinal);
            while ((await prometheus.QueryAsync(query)).Count == 0)
            {
                if (DateTime.UtcNow > deadline)
                {
                    empty.Add($"{panel}: {expr}");
                    break;
                }

                await Task.Delay(500);
            }
        }

        Assert.True(empty.Count == 0, "panels without data:\n" + string.Join("\n", empty));
    }

    /// <summary>A little of everything the dashboard charts: hub connections and a resync, an edit, sync up and down (one invalid), document callbacks.</summary>
    private static async Task WorkloadAsync(DocumentsHost nodeA, HubApp nodeB)
    {
        var issuer = nodeB.Services.GetRequiredService<TokenIssuer>();
        await using var subscriber = await RawHubClient.ConnectAsync(nodeB.Address, issuer.Issue("demo", "prom-viewer", ["viewer"], TimeSpan.FromMinutes(10)));
        await subscriber.InvokeAsync("Subscribe", "demo/entities/team", null);
        await subscriber.InvokeAsync("Subscribe", "demo/entities/services", new { epoch = "gone", offset = 3 });

        var created = await nodeA.Http.PostAsync("/api/tenants/demo/entities/team", Json(
            """{"id": "prom-1", "fields": {"name": "Prom", "role": "Dev", "joinDate": "2022-01-10", "employeeId": "E-prom-1"}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await subscriber.WaitForAsync("publication");

        using var sync = new HttpClient { BaseAddress = nodeA.App.Address };
        sync.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issuer.Issue("demo", "prom-laptop", ["editor"], TimeSpan.FromMinutes(10)));
        Assert.Equal(HttpStatusCode.OK, (await sync.PostAsync("/api/sync/up", Json("""{"clientId":"prom-laptop","events":[]}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await sync.PostAsync("/api/sync/down", Json("""{"clientId":"prom-laptop","limit":1}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await sync.PostAsync("/api/sync/down", Json("""{"clientId":"prom-laptop","cursor":"bm9wZQ"}"""))).StatusCode);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>(panel title, PromQL) of every target of every panel in deploy/grafana/realtime-sync.json.</summary>
    private static List<(string Panel, string Expr)> DashboardQueries()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "grafana", "realtime-sync.json")))!;
        return dashboard["panels"]!.AsArray()
            .Where(p => p!["type"]!.GetValue<string>() != "row")
            .SelectMany(p => p!["targets"]!.AsArray().Select(t => (p["title"]!.GetValue<string>(), t!["expr"]!.GetValue<string>())))
            .ToList();
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {Bound.TotalSeconds} s: {what}");
            await Task.Delay(250);
        }
    }

    private static string Deploy => Path.Combine(RepositoryRoot(), "deploy", "prometheus");

    private static async Task<(int Code, string Output)> RunAsync(string binary, params string[] arguments)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RealtimeSync.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No RealtimeSync.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>
    /// A private prometheus process running a copy of deploy/prometheus with the given nodes as targets, scraping and
    /// evaluating every second, and SaveJobPendingTooLong's 5 minutes shortened to 3 seconds.
    /// </summary>
    private sealed class PrometheusServer : IAsyncDisposable
    {
        private readonly Process process;
        private readonly string folder;
        private readonly HttpClient http;

        private PrometheusServer(Process process, string folder, int port)
        {
            this.process = process;
            this.folder = folder;
            http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        }

        public static async Task<PrometheusServer> StartAsync(IReadOnlyList<Uri> nodes)
        {
            var folder = Directory.CreateTempSubdirectory("rs-prometheus-").FullName;
            var config = Replace(await File.ReadAllTextAsync(Path.Combine(Deploy, "prometheus.yml")),
                ("scrape_interval: 15s", "scrape_interval: 1s"), ("evaluation_interval: 15s", "evaluation_interval: 1s"));
            var alerts = Replace(await File.ReadAllTextAsync(Path.Combine(Deploy, "alerts.yml")),
                ("rs_save_jobs_oldest_pending_age_seconds > 300", "rs_save_jobs_oldest_pending_age_seconds > 3"));
            await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), config);
            await File.WriteAllTextAsync(Path.Combine(folder, "alerts.yml"), alerts);
            Directory.CreateDirectory(Path.Combine(folder, "targets"));
            var targets = new JsonArray(new JsonObject
            {
                ["targets"] = new JsonArray(nodes.Select(n => (JsonNode)$"{n.Host}:{n.Port}").ToArray()),
                ["labels"] = new JsonObject { ["cluster"] = "test" },
            });
            await File.WriteAllTextAsync(Path.Combine(folder, "targets", "nodes.json"), targets.ToJsonString());

            var port = TestServers.FreePort();
            var info = new ProcessStartInfo(TestServers.Prometheus) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[]
            {
                $"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
            })
            {
                info.ArgumentList.Add(argument);
            }

            var log = new StringBuilder();
            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new PrometheusServer(process, folder, port);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                try
                {
                    using var ready = await server.http.GetAsync("-/ready");
                    if (ready.IsSuccessStatusCode)
                    {
                        return server;
                    }
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }

                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    await server.DisposeAsync();
                    lock (log)
                    {
                        throw new InvalidOperationException($"prometheus did not get ready:\n{log}");
                    }
                }

                await Task.Delay(200);
            }
        }

        /// <summary>An instant query's series: labels and value.</summary>
        public async Task<List<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
        {
            var answer = JsonNode.Parse(await http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(promql)))!;
            Assert.True(answer["status"]!.GetValue<string>() == "success", $"{promql}: {answer.ToJsonString()}");
            var data = answer["data"]!;
            if (data["resultType"]!.GetValue<string>() == "scalar")
            {
                return [([], double.Parse(data["result"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture))];
            }

            return data["result"]!.AsArray().Select(r => (
                r!["metric"]!.AsObject().ToDictionary(l => l.Key, l => l.Value!.GetValue<string>()),
                double.Parse(r["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture))).ToList();
        }

        /// <summary>pending, firing, or null when the alert is inactive.</summary>
        public async Task<string?> AlertStateAsync(string alert)
        {
            using var answer = JsonDocument.Parse(await http.GetStringAsync("api/v1/alerts"));
            return answer.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
                .Where(a => a.GetProperty("labels").GetProperty("alertname").GetString() == alert)
                .Select(a => a.GetProperty("state").GetString()).FirstOrDefault();
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // a file the killed process still held; the temp folder is cleaned by the OS
            }
        }

        /// <summary>The test copy's edits; each must match, so a change to the shipped file cannot silently skip one.</summary>
        private static string Replace(string text, params (string From, string To)[] edits)
        {
            foreach (var (from, to) in edits)
            {
                Assert.True(text.Contains(from, StringComparison.Ordinal), $"the shipped file no longer contains '{from}'");
                text = text.Replace(from, to, StringComparison.Ordinal);
            }

            return text;
        }
    }
}
