using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests.Sites;

/// <summary>
/// A frontend site against the real host: Debian's Chromium, a site key of the demo tenant, and a TCP proxy in
/// front of the host (cut it to take the site offline while the backoffice keeps editing straight on the host).
/// Site pages get their token the way a real site does, from their own backend: here <c>/__site/token</c>, which
/// the test answers by trading the site key at <c>POST /api/site-tokens</c>.
/// </summary>
public sealed class SiteHost : IAsyncDisposable
{
    private readonly HttpClient editor;
    private string siteKey = "";

    private SiteHost(HubApp app, SwitchableProxy proxy, IPlaywright playwright, IBrowser browser)
    {
        App = app;
        Proxy = proxy;
        Playwright = playwright;
        Browser = browser;
        editor = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(30) };
        editor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "backoffice-editor", ["editor"], TimeSpan.FromHours(1)));
    }

    public HubApp App { get; }

    public SwitchableProxy Proxy { get; }

    public IPlaywright Playwright { get; }

    public IBrowser Browser { get; }

    /// <summary>How many tokens the site's pages asked for.</summary>
    public int TokensIssued;

    public static async Task<SiteHost> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Demo:Enabled"] = "true" };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var app = new HubApp(all, realServer: true);
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        // Site pages are test markup served by Playwright; Chromium's local network access checks would treat such a
        // document as public and block its WebSocket to 127.0.0.1 (a real site's page comes from the network).
        var browser = await Chromium.LaunchAsync(playwright, "--disable-features=LocalNetworkAccessChecks");
        var host = new SiteHost(app, new SwitchableProxy(app.Address), playwright, browser);
        host.siteKey = (await app.Services.GetRequiredService<ISiteKeyAdmin>().CreateAsync("demo", "site tests", "admin")).Secret;
        return host;
    }

    /// <summary>Cuts every connection through the proxy and refuses new ones (nothing listens where it now points).</summary>
    public void CutSite() => Proxy.SwitchTo(new Uri($"http://127.0.0.1:{TestServers.FreePort()}/"));

    public void RestoreSite() => Proxy.SwitchTo(App.Address);

    /// <summary>A fresh browser profile on the site (through the proxy) showing <paramref name="html"/> at /__site/page.html.</summary>
    /// <param name="tokenLifetime">
    /// When set, the token answer says it expires after this time (the token itself stays valid longer), to see the
    /// page renew it without waiting for a real expiry (site tokens live at least 60 s).
    /// </param>
    public async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> OpenAsync(string html, TimeSpan? tokenLifetime = null)
    {
        var (context, page, errors) = await Chromium.NewPageAsync(Browser, Proxy.Address);
        await context.RouteAsync("**/__site/token", async route =>
        {
            Interlocked.Increment(ref TokensIssued);
            var answer = JsonNode.Parse(await SiteTokenAsync())!;
            if (tokenLifetime is { } lifetime)
            {
                answer["expiresAt"] = DateTimeOffset.UtcNow.Add(lifetime).ToString("O");
            }

            await route.FulfillAsync(new RouteFulfillOptions { ContentType = "application/json", Body = answer.ToJsonString() });
        });
        await context.RouteAsync("**/__site/page.html", route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html", Body = html }));
        await page.GotoAsync("/__site/page.html");
        return (context, page, errors);
    }

    /// <summary>What a site's backend does: trade the site key for a subscriber token.</summary>
    public async Task<string> SiteTokenAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/site-tokens") { Content = JsonContent.Create(new { ttlSeconds = 900 }) };
        request.Headers.Add("X-Api-Key", siteKey);
        using var http = new HttpClient { BaseAddress = App.Address };
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A backoffice edit through the API (straight on the host); returns the new version.</summary>
    public async Task<long> PatchAsync(string type, string id, object fields)
    {
        var path = $"/api/tenants/demo/entities/{type}/{id}";
        var current = (await editor.GetFromJsonAsync<JsonObject>(path))!;
        using var response = await editor.PatchAsJsonAsync(path, new { baseVersion = current["version"]!.GetValue<long>(), fields });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var written = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return written["entity"]!["version"]!.GetValue<long>();
    }

    public async Task<long> PatchAsync(string type, string id, long baseVersion, object fields)
    {
        using var response = await editor.PatchAsJsonAsync($"/api/tenants/demo/entities/{type}/{id}", new { baseVersion, fields });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["entity"]!["version"]!.GetValue<long>();
    }

    public async Task CreateAsync(string type, string id, object fields)
    {
        using var response = await editor.PostAsJsonAsync($"/api/tenants/demo/entities/{type}", new { id, fields });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public async Task DeleteAsync(string type, string id)
    {
        using var response = await editor.DeleteAsync($"/api/tenants/demo/entities/{type}/{id}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The server's list, as "id@version:field=value" lines for <paramref name="fields"/>, ordered by id.</summary>
    public async Task<List<string>> ServerListAsync(string type, params string[] fields)
    {
        var rows = new List<string>();
        string? after = null;
        do
        {
            var page = (await editor.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/entities/{type}?limit=500{(after is null ? "" : "&after=" + Uri.EscapeDataString(after))}"))!;
            foreach (var item in page["items"]!.AsArray())
            {
                rows.Add(Row(item!["id"]!.GetValue<string>(), item["version"]!.GetValue<long>(), fields.Select(f => item["fields"]![f]?.ToJsonString() ?? "null")));
            }

            after = page["next"]?.GetValue<string>();
        }
        while (after is not null);
        return rows;
    }

    /// <summary>The page's <c>window.team</c> store in the same form as <see cref="ServerListAsync"/>.</summary>
    public static async Task<List<string>> StoreListAsync(IPage page, string store, params string[] fields)
    {
        var json = await page.EvaluateAsync<string>(
            "([store, fields]) => JSON.stringify(window[store].getSnapshot().map(e => [e.id, e.version, fields.map(f => e.fields[f] === undefined ? 'null' : JSON.stringify(e.fields[f]))]))",
            new object[] { store, fields });
        return JsonSerializer.Deserialize<List<JsonElement>>(json)!
            .Select(e => Row(e[0].GetString()!, e[1].GetInt64(), e[2].EnumerateArray().Select(v => v.GetString()!)))
            .ToList();
    }

    private static string Row(string id, long version, IEnumerable<string> values) => $"{id}@{version}:{string.Join(",", values)}";

    public async ValueTask DisposeAsync()
    {
        editor.Dispose();
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Proxy.DisposeAsync();
        await App.DisposeAsync();
    }

    /// <summary>
    /// A site page with a liveCollection of team (<c>window.team</c>) and a liveEntity of settings
    /// (<c>window.settings</c>); <c>window.statuses</c> records every status of the team store in order and
    /// <c>window.seen</c> every (id, version, role) the team snapshot ever showed.
    /// </summary>
    public const string StoresPage = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>Site with live stores</title>
          <script src="/lib/signalr/signalr.min.js"></script>
          <script type="module">
            import * as sync from '/realtime-sync.js';
            const tokenFactory = async () => (await fetch('/__site/token', { cache: 'no-store' })).json();
            window.sync = sync;
            window.tokenFactory = tokenFactory;
            window.team = sync.liveCollection({ tenant: 'demo', type: 'team', tokenFactory });
            window.settings = sync.liveEntity({ tenant: 'demo', type: 'settings', id: 'default', tokenFactory });
            window.statuses = [team.status];
            window.seen = [];
            let last = null;
            team.subscribe(() => {
              if (statuses.at(-1) !== team.status) statuses.push(team.status);
              const snapshot = team.getSnapshot();
              if (snapshot !== last) {
                const before = new Map((last ?? []).map(e => [e.id, e]));
                for (const e of snapshot) if (before.get(e.id) !== e) seen.push({ id: e.id, version: e.version, role: e.fields.role ?? null });
                last = snapshot;
              }
            });
          </script>
        </head>
        <body><main><h1>Site</h1><rs-sync-status></rs-sync-status></main></body>
        </html>
        """;

    /// <summary>
    /// No script error and no console error on the page; with <paramref name="siteWasCut"/>, except the browser's and
    /// the SignalR client's reports of the connections the cut broke.
    /// </summary>
    public static void AssertNoErrors(List<string> errors, bool siteWasCut = false)
    {
        var unexpected = errors.Where(e => !siteWasCut || !IsConnectionFailure(e)).ToList();
        Assert.True(unexpected.Count == 0, "console errors:\n" + string.Join("\n", unexpected));
    }

    private static bool IsConnectionFailure(string message) =>
        message.StartsWith("WebSocket connection to ", StringComparison.Ordinal)
        || message.StartsWith("Failed to load resource: net::ERR_", StringComparison.Ordinal)
        || System.Text.RegularExpressions.Regex.IsMatch(message, @"^\[[0-9T:.\-]+Z\] Error: (Failed to start the transport|Failed to complete negotiation|Failed to start the connection|Connection disconnected)");

    /// <summary>The repository (for tests/node/node_modules: axe-core, typescript), found above the test binaries.</summary>
    public static string RepositoryRoot()
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

    /// <summary>A file of tests/node/node_modules, which the README test command installs (npm ci).</summary>
    public static string NodeModule(params string[] path)
    {
        var file = Path.Combine([RepositoryRoot(), "tests", "node", "node_modules", .. path]);
        return File.Exists(file)
            ? file
            : throw new InvalidOperationException($"{file} is missing: run the README test command (eng/test-servers.sh runs npm ci in tests/node).");
    }

    public static Task WaitStatusAsync(IPage page, string store, string status, int timeoutMs = 15_000) =>
        page.WaitForFunctionAsync("([s, v]) => window[s] && window[s].status === v", new object[] { store, status }, new PageWaitForFunctionOptions { Timeout = timeoutMs });
}
