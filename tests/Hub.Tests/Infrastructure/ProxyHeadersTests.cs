using System.Net;
using System.Text.RegularExpressions;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

/// <summary>
/// A node behind a TLS proxy (deploy/nginx) over a real socket from 127.0.0.1: <c>X-Forwarded-Proto: https</c> counts
/// only when the peer is a configured proxy.
/// </summary>
public sealed partial class ProxyHeadersTests
{
    private static readonly Dictionary<string, string> FromProxy = new()
    {
        ["Host"] = "hub.example.test",
        ["X-Forwarded-Proto"] = "https",
        ["X-Forwarded-For"] = "203.0.113.7",
    };

    private static HubApp Node(string? knownProxies) => new(
        new Dictionary<string, string?> { ["Http:ForwardedHeaders:KnownProxies"] = knownProxies },
        realServer: true,
        // HSTS is left out in Development, which the test host defaults to.
        commandLine: new Dictionary<string, string?> { ["environment"] = "Production" });

    [Fact]
    public async Task Https_forwarded_by_a_configured_proxy_gives_a_secure_sign_in_cookie_https_links_and_hsts()
    {
        await using var app = Node("127.0.0.1");

        using var signIn = await SignInAsync(app, FromProxy);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("rs.admin=", StringComparison.Ordinal));
        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.True(signIn.Headers.Contains("Strict-Transport-Security"));

        using var challenge = await SendAsync(app, HttpMethod.Get, "/config", FromProxy);
        Assert.StartsWith("https://hub.example.test/login", challenge.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("10.0.0.2")]
    public async Task The_same_headers_from_a_peer_that_is_not_a_configured_proxy_change_nothing(string? knownProxies)
    {
        await using var app = Node(knownProxies);

        using var signIn = await SignInAsync(app, FromProxy);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("rs.admin=", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.False(signIn.Headers.Contains("Strict-Transport-Security"));

        using var challenge = await SendAsync(app, HttpMethod.Get, "/config", FromProxy);
        Assert.StartsWith("http://hub.example.test/login", challenge.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> SignInAsync(HubApp app, Dictionary<string, string> headers)
    {
        // Cookies by hand: a client keeps a Secure cookie off plain http, but the proxy in front would not.
        using var page = await SendAsync(app, HttpMethod.Get, "/login", headers);
        var cookies = string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        var token = AntiforgeryField().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            ["_handler"] = "login",
            ["Input.UserName"] = "admin",
            ["Input.Password"] = HubApp.AdminPassword,
        });
        var response = await SendAsync(app, HttpMethod.Post, "/login", new Dictionary<string, string>(headers) { ["Cookie"] = cookies }, form);
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther, $"sign-in answered {(int)response.StatusCode}");
        return response;
    }

    private static async Task<HttpResponseMessage> SendAsync(HubApp app, HttpMethod method, string path, Dictionary<string, string> headers, HttpContent? content = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(method, new Uri(app.Address, path)) { Content = content };
        foreach (var (name, value) in headers)
        {
            if (name == "Host")
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await http.SendAsync(request);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
