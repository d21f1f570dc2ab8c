using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

/// <summary>
/// The write rule lives on the tenant route group, not in handlers: every tenant endpoint that changes something refuses
/// a viewer with the same 403 problem, including one added after this test was written.
/// </summary>
public sealed partial class WritePolicyTests : IAsyncLifetime
{
    private readonly HubApp app = new();

    public Task InitializeAsync()
    {
        _ = app.Services;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task A_viewer_is_refused_on_every_tenant_write_endpoint_with_the_read_only_role_problem()
    {
        using var viewer = app.CreateClient();
        viewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "victor", ["viewer"], TimeSpan.FromMinutes(10)));

        var writes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/tenants/{tenant}", StringComparison.Ordinal) == true)
            .Where(e => e.Metadata.GetMetadata<AllowReadersMetadata>() is null)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Where(m => m is not ("GET" or "HEAD")).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .ToList();

        // The entities and documents writes at least: an empty list would make this test pass for nothing.
        Assert.Contains(writes, w => w is { Method: "POST", Pattern: "/api/tenants/{tenant}/entities/{type}/" });
        Assert.Contains(writes, w => w is { Method: "PATCH", Pattern: "/api/tenants/{tenant}/documents/{id}" });
        Assert.True(writes.Count >= 8, string.Join(", ", writes));

        foreach (var (method, pattern) in writes)
        {
            var path = Parameter().Replace(pattern.Replace("{tenant}", "demo", StringComparison.Ordinal), m => m.Value.Contains(":int", StringComparison.Ordinal) ? "1" : "team");
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            using var response = await viewer.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode} {text}");
            var problem = JsonNode.Parse(text)!;
            Assert.Equal(("Read-only role", "role"), (problem["title"]!.GetValue<string>(), problem["field"]!.GetValue<string>()));
        }
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();
}
