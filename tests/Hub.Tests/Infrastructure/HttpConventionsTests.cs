using System.Net;
using System.Text.Json;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

public sealed class HttpConventionsTests : IAsyncLifetime
{
    private readonly HubApp app = new(new Dictionary<string, string?> { ["Limits:MaxRequestBodyBytes"] = "1024" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task An_oversized_body_gets_a_413_problem_and_never_reaches_the_endpoint()
    {
        using var client = app.CreateClient();
        var response = await client.PostAsync("/api/tenants/demo", new ByteArrayContent(new byte[4096]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("limit is 1024 bytes", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_api_routes_answer_a_404_problem()
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync("/api/nothing-here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_tenant_api()
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.GetProperty("paths").TryGetProperty("/api/tenants/{tenant}", out _));
    }
}
