using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Tests.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Deploy;

/// <summary>
/// The shipped load-balancer setup (deploy/nginx/realtime-sync.conf) in front of two real nodes: a real
/// nginx process, two hosts sharing one PostgreSQL database, one Redis and one signing key, and the
/// product's JavaScript client over @microsoft/signalr connecting through nginx.
/// </summary>
public sealed class NginxTwoNodeTests(NginxTwoNodes nodes) : IClassFixture<NginxTwoNodes>
{
    private const string TeamChannel = "demo/entities/team";

    [Fact]
    public async Task Health_ready_through_nginx_is_200_and_requests_without_a_sticky_cookie_are_spread_over_both_nodes()
    {
        var seen = new Dictionary<string, int>();
        for (var i = 0; i < 40; i++)
        {
            var answer = await nodes.HealthAsync(cookie: null);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            Assert.NotNull(answer.StickyCookie); // every browser gets its key on the first response
            seen[answer.Node] = seen.GetValueOrDefault(answer.Node) + 1;
        }

        Assert.Equal([nodes.NodeA, nodes.NodeB], seen.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_signalr_client_through_nginx_receives_api_edits_made_through_nginx_whichever_node_each_lands_on()
    {
        // The channel gets its epoch in the shared history first: a subscriber of a never-published channel may
        // legitimately be told to resync on the first publication, which is not what this test is about.
        await nodes.PatchTeamMemberAsync(nodes.NodeA, "ada", new { role = "Before the subscribers" });

        // One subscriber per node: a client without cookies is balanced on its bearer token, so pick tokens that land apart.
        var tokenOnA = await nodes.HubTokenLandingOnAsync(nodes.NodeA);
        var tokenOnB = await nodes.HubTokenLandingOnAsync(nodes.NodeB);
        await using var subscriberOnA = NodeSubscriber.Start(nodes.HubUrl, tokenOnA, [TeamChannel]);
        await using var subscriberOnB = NodeSubscriber.Start(nodes.HubUrl, tokenOnB, [TeamChannel]);
        await subscriberOnA.WaitForEventAsync("subscribed", "the subscription through nginx (token hashed to node A)");
        await subscriberOnB.WaitForEventAsync("subscribed", "the subscription through nginx (token hashed to node B)");

        // Negotiate and the WebSocket reached the same node (or the connection would have failed), and it is the expected one.
        Assert.Single(nodes.A.Services.GetRequiredService<ChannelSubscriptions>().Subscribers(TeamChannel));
        Assert.Single(nodes.B.Services.GetRequiredService<ChannelSubscriptions>().Subscribers(TeamChannel));

        // One edit served by each node, both through nginx.
        var versionViaA = await nodes.PatchTeamMemberAsync(nodes.NodeA, "ada", new { role = "Edited via A" });
        var versionViaB = await nodes.PatchTeamMemberAsync(nodes.NodeB, "ada", new { role = "Edited via B" });

        foreach (var (subscriber, where) in new[] { (subscriberOnA, "node A"), (subscriberOnB, "node B") })
        {
            var publications = await subscriber.WaitForCountAsync(
                e => NodeSubscriber.Is(e, "publication") && e.GetProperty("channel").GetString() == TeamChannel, 2, $"both edits at the subscriber on {where}");
            Assert.Equal([versionViaA, versionViaB], publications.Select(p => p.GetProperty("data").GetProperty("version").GetInt64()));
            Assert.Equal(["Edited via A", "Edited via B"], publications.Select(p => p.GetProperty("data").GetProperty("changed").GetProperty("role").GetString()));
            var offsets = publications.Select(p => p.GetProperty("offset").GetInt64()).ToList();
            Assert.Equal(offsets[0] + 1, offsets[1]);
            Assert.DoesNotContain(subscriber.Events, e => NodeSubscriber.Is(e, "error") || NodeSubscriber.Is(e, "resync"));
        }
    }

    [Fact]
    public async Task Requests_with_the_same_sticky_cookie_or_hub_token_always_land_on_the_same_node()
    {
        var cookies = new Dictionary<string, string>();
        foreach (var node in new[] { nodes.NodeA, nodes.NodeB })
        {
            // A browser whose first request was served by `node` keeps being served by it.
            var cookie = cookies[node] = await nodes.StickyCookieLandingOnAsync(node);
            for (var i = 0; i < 15; i++)
            {
                var answer = await nodes.HealthAsync(cookie);
                Assert.Equal(HttpStatusCode.OK, answer.Status);
                Assert.Equal(node, answer.Node);
                Assert.Null(answer.StickyCookie); // the browser already has one
            }

            // The backoffice: the prerendered page, the circuit's negotiate and its WebSocket all reach that node.
            using (var page = await nodes.SendAsync(HttpMethod.Get, "/login", cookie))
            {
                Assert.Equal(HttpStatusCode.OK, page.StatusCode);
                Assert.Equal(node, await nodes.UpstreamNodeAsync(page));
            }

            string circuitToken;
            using (var negotiate = await nodes.SendAsync(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1", cookie))
            {
                Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
                Assert.Equal(node, await nodes.UpstreamNodeAsync(negotiate));
                using var body = JsonDocument.Parse(await negotiate.Content.ReadAsStringAsync());
                circuitToken = body.RootElement.GetProperty("connectionToken").GetString()!;
            }

            // Only the node that issued the connection token knows it: a WebSocket landing elsewhere gets 404.
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Cookie", $"{NginxTwoNodes.StickyCookieName}={cookie}");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new Uri(nodes.WebSocketBase, $"/_blazor?id={Uri.EscapeDataString(circuitToken)}"), cts.Token);
            Assert.Equal(WebSocketState.Open, socket.State);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        }

        // The hub without a cookie is balanced on the bearer token: the header (negotiate, Node/.NET WebSockets)
        // and ?access_token= (browser WebSockets) hash alike.
        var token = nodes.Token("demo", "viewer", $"site-{Guid.NewGuid():N}");
        var hubNode = await nodes.HubNodeOfAsync(token);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(hubNode, await nodes.HubNodeOfAsync(token));
            Assert.Equal(hubNode, await nodes.HubNodeOfAsync(token, inQuery: true));
        }

        // With a browser's cookie, its hub connections go where its pages go, whatever the token.
        foreach (var (node, cookie) in cookies)
        {
            for (var i = 0; i < 3; i++)
            {
                var anyToken = nodes.Token("demo", "viewer", $"site-{Guid.NewGuid():N}");
                Assert.Equal(node, await nodes.HubNodeOfAsync(anyToken, cookie));
                Assert.Equal(node, await nodes.HubNodeOfAsync(anyToken, cookie, inQuery: true));
            }
        }
    }
}

/// <summary>
/// Two in-process hosts (real sockets) behind a real nginx running deploy/nginx/realtime-sync.conf from a
/// temporary run directory. Everything listens on 127.0.0.1; nginx is killed and the hosts stopped on dispose.
/// </summary>
public sealed class NginxTwoNodes : IAsyncLifetime
{
    public const string StickyCookieName = "rs_node";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly string signingKey = $"nginx-tests-{Guid.NewGuid():N}-signing-key";
    private readonly string prefix = $"rs-test-{Guid.NewGuid():N}";
    private readonly string suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly StringBuilder nginxOutput = new();
    private PostgresDatabase? database;
    private Process? nginx;
    private HttpClient? http;
    private string runDirectory = "";
    private string accessLog = "";
    private string errorLog = "";

    public HubApp A { get; private set; } = null!;

    public HubApp B { get; private set; } = null!;

    public string NodeA => $"nginx-a-{suffix}";

    public string NodeB => $"nginx-b-{suffix}";

    /// <summary>nginx's address.</summary>
    public Uri Address { get; private set; } = null!;

    public Uri WebSocketBase => new($"ws://{Address.Authority}/");

    public Uri HubUrl => new(Address, "/hubs/sync");

    private HttpClient Http => http ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (nginx is not null)
        {
            try
            {
                if (!nginx.HasExited)
                {
                    nginx.Kill(entireProcessTree: true);
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await nginx.WaitForExitAsync(cts.Token);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
            {
                // already gone, or it did not die within 5 s (nothing more can be done from here)
            }

            nginx.Dispose();
        }

        http?.Dispose();
        foreach (var app in new[] { B, A })
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }

        if (database is not null)
        {
            await database.DisposeAsync();
        }

        if (runDirectory.Length > 0)
        {
            try
            {
                Directory.Delete(runDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // temp files owned by nginx's worker user; the OS cleans /tmp
            }
        }
    }

    public string Token(string tenant, string role, string subject) =>
        A.Services.GetRequiredService<TokenIssuer>().Issue(tenant, subject, [role], TimeSpan.FromMinutes(10));

    public record HealthAnswer(HttpStatusCode Status, string Node, string? StickyCookie);

    /// <summary>GET /health/ready through nginx, with the given sticky cookie (none: a new browser).</summary>
    public async Task<HealthAnswer> HealthAsync(string? cookie)
    {
        using var response = await SendAsync(HttpMethod.Get, "/health/ready", cookie);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return new HealthAnswer(response.StatusCode, body.RootElement.GetProperty("node").GetString()!, StickyCookieOf(response));
    }

    /// <summary>The cookie value nginx hands to a new browser whose first request lands on <paramref name="node"/>.</summary>
    public async Task<string> StickyCookieLandingOnAsync(string node)
    {
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var answer = await HealthAsync(cookie: null);
            if (answer.Node == node)
            {
                return answer.StickyCookie ?? throw new Xunit.Sdk.XunitException("nginx set no sticky cookie on a first request");
            }
        }

        throw new Xunit.Sdk.XunitException($"60 new browsers and none landed on {node}: nginx does not balance.");
    }

    /// <summary>A viewer token for tenant demo whose hub connections nginx sends to <paramref name="node"/>.</summary>
    public async Task<string> HubTokenLandingOnAsync(string node)
    {
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var token = Token("demo", "viewer", $"site-{Guid.NewGuid():N}");
            if (await HubNodeOfAsync(token) == node)
            {
                return token;
            }
        }

        throw new Xunit.Sdk.XunitException($"60 hub tokens and none hashed to {node}: nginx does not balance /hubs/.");
    }

    /// <summary>The node a hub negotiate with this token (and cookie) reaches through nginx (from nginx's access log).</summary>
    public async Task<string> HubNodeOfAsync(string token, string? cookie = null, bool inQuery = false)
    {
        var path = "/hubs/sync/negotiate?negotiateVersion=1" + (inQuery ? $"&access_token={Uri.EscapeDataString(token)}" : "");
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (!inQuery)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{StickyCookieName}={cookie}");
        }

        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(StickyCookieOf(response)); // never set on /hubs/: it would move the WebSocket that follows
        return await UpstreamNodeAsync(response);
    }

    /// <summary>PATCHes a demo team member through nginx, with a sticky cookie that lands on <paramref name="node"/>; returns the new version.</summary>
    public async Task<long> PatchTeamMemberAsync(string node, string id, object fields)
    {
        var cookie = await StickyCookieLandingOnAsync(node);
        var token = Token("demo", "editor", "editor-1");
        var path = $"/api/tenants/demo/entities/team/{id}";

        using var get = new HttpRequestMessage(HttpMethod.Get, path);
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        get.Headers.Add("Cookie", $"{StickyCookieName}={cookie}");
        using var current = await Http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        using var currentBody = JsonDocument.Parse(await current.Content.ReadAsStringAsync());

        using var patch = new HttpRequestMessage(HttpMethod.Patch, path)
        {
            Content = JsonContent.Create(new { baseVersion = currentBody.RootElement.GetProperty("version").GetInt64(), fields }),
        };
        patch.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        patch.Headers.Add("Cookie", $"{StickyCookieName}={cookie}");
        using var response = await Http.SendAsync(patch);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PATCH {path} through nginx: {(int)response.StatusCode} {text}");
        Assert.Equal(node, await UpstreamNodeAsync(response));
        using var written = JsonDocument.Parse(text);
        Assert.Equal("applied", written.RootElement.GetProperty("status").GetString());
        return written.RootElement.GetProperty("entity").GetProperty("version").GetInt64();
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? cookie)
    {
        using var request = new HttpRequestMessage(method, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{StickyCookieName}={cookie}");
        }

        return await Http.SendAsync(request);
    }

    /// <summary>
    /// Which node served a response that came through nginx: its X-Request-Id, looked up in nginx's access
    /// log (upstream=host:port), mapped to the node listening on that port.
    /// </summary>
    public async Task<string> UpstreamNodeAsync(HttpResponseMessage response)
    {
        var requestId = response.Headers.TryGetValues("X-Request-Id", out var values) ? values.Single() : throw new Xunit.Sdk.XunitException("nginx sent no X-Request-Id");
        var pattern = new Regex($@" {Regex.Escape(requestId)} .* upstream=(?:\S+, )*127\.0\.0\.1:(?<port>\d+) ");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (true)
        {
            string text;
            await using (var stream = new FileStream(accessLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var reader = new StreamReader(stream))
            {
                text = await reader.ReadToEndAsync(cts.Token);
            }

            if (pattern.Match(text) is { Success: true } match)
            {
                var port = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                return port == A.Address.Port ? NodeA
                    : port == B.Address.Port ? NodeB
                    : throw new Xunit.Sdk.XunitException($"request {requestId} went to port {port}, which is neither node");
            }

            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"request {requestId} is not in nginx's access log {accessLog} after 5 s");
            }
        }
    }

    private static string? StickyCookieOf(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            return null;
        }

        var prefix = StickyCookieName + "=";
        return cookies.Where(c => c.StartsWith(prefix, StringComparison.Ordinal))
            .Select(c => c[prefix.Length..].Split(';')[0])
            .FirstOrDefault();
    }

    private async Task StartAsync()
    {
        var nginxBinary = NginxBinary();
        database = await TestServers.CreatePostgresDatabaseAsync();

        // One after the other: the first start migrates and seeds the shared database.
        A = new HubApp(NodeSettings(NodeA), realServer: true);
        B = new HubApp(NodeSettings(NodeB), realServer: true);
        foreach (var app in new[] { A, B })
        {
            Assert.Equal("127.0.0.1", app.Address.Host);
        }

        runDirectory = Path.Combine(Path.GetTempPath(), "rs-nginx-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(runDirectory, "logs"));
        Directory.CreateDirectory(Path.Combine(runDirectory, "temp"));
        accessLog = Path.Combine(runDirectory, "logs", "access.log");
        errorLog = Path.Combine(runDirectory, "logs", "error.log");
        var template = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "nginx", "realtime-sync.conf"));

        // A free port can be taken between asking and binding: try a few.
        for (var attempt = 1; ; attempt++)
        {
            var port = TestServers.FreePort();
            var config = template
                .Replace("@LISTEN@", $"127.0.0.1:{port}", StringComparison.Ordinal)
                .Replace("@NODE_A@", $"127.0.0.1:{A.Address.Port}", StringComparison.Ordinal)
                .Replace("@NODE_B@", $"127.0.0.1:{B.Address.Port}", StringComparison.Ordinal);
            Assert.DoesNotMatch(@"@[A-Z_]+@", config);
            var configPath = Path.Combine(runDirectory, "realtime-sync.conf");
            await File.WriteAllTextAsync(configPath, config);

            Address = new Uri($"http://127.0.0.1:{port}/");
            nginx = StartNginx(nginxBinary, configPath);
            if (await WaitUntilNginxAnswersAsync())
            {
                break;
            }

            var log = File.Exists(errorLog) ? await File.ReadAllTextAsync(errorLog) : "";
            nginx.Dispose();
            nginx = null;
            if (attempt < 3 && log.Contains("Address already in use", StringComparison.Ordinal))
            {
                continue;
            }

            throw new InvalidOperationException($"nginx did not start ({nginxBinary} with {configPath}).\noutput:\n{nginxOutput}\nerror.log:\n{log}");
        }

        http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromSeconds(1) })
        {
            BaseAddress = Address,
            Timeout = Timeout,
        };

        // Both nodes ready behind nginx (every node answers /health/ready 200 directly, too).
        foreach (var app in new[] { A, B })
        {
            using var direct = new HttpClient { BaseAddress = app.Address, Timeout = Timeout };
            using var ready = await direct.GetAsync("/health/ready");
            Assert.True(ready.IsSuccessStatusCode, $"node {app.Address} is not ready: {await ready.Content.ReadAsStringAsync()}");
        }
    }

    private Dictionary<string, string?> NodeSettings(string nodeId) => new()
    {
        ["ConnectionStrings:Postgres"] = database!.ConnectionString,
        ["Redis:Configuration"] = TestServers.Redis,
        ["Redis:ChannelPrefix"] = prefix,
        ["Node:Id"] = nodeId,
        ["Auth:Jwt:SigningKey"] = signingKey,
    };

    private Process StartNginx(string binary, string configPath)
    {
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = runDirectory,
        };
        foreach (var argument in new[] { "-e", errorLog, "-c", configPath, "-p", runDirectory + Path.DirectorySeparatorChar })
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{binary} did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (nginxOutput)
            {
                nginxOutput.AppendLine(line);
            }
        }
    }

    /// <summary>True once /health/live answers 200 through nginx; false when nginx exits or 15 s pass.</summary>
    private async Task<bool> WaitUntilNginxAnswersAsync()
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (nginx!.HasExited)
            {
                return false;
            }

            try
            {
                using var response = await probe.GetAsync(new Uri(Address, "/health/live"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(50);
        }

        return false;
    }

    private static string NginxBinary()
    {
        var path = Environment.GetEnvironmentVariable("RS_TEST_NGINX") is { Length: > 0 } configured ? configured : "/usr/sbin/nginx";
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException(
                $"nginx not found at {path}: this test needs a real nginx (Debian package nginx). Run the tests with the README test command (./test.sh), whose eng/test-servers.sh installs it, or `apt-get install -y nginx` as root.");
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
}
