using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Shared.Tenancy;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Tenants;

public sealed class TenantApiAuthTests : IAsyncLifetime
{
    private readonly HubApp app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    private string Token(string tenant, string role = "editor", TimeSpan? lifetime = null) =>
        app.Services.GetRequiredService<TokenIssuer>().Issue(tenant, "tester", [role], lifetime ?? TimeSpan.FromMinutes(5));

    private async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var client = app.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.GetAsync(path);
    }

    [Fact]
    public async Task A_token_for_the_tenant_reads_its_name_and_entity_types()
    {
        var response = await GetAsync("/api/tenants/demo", Token("demo"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tenant = JsonSerializer.Deserialize<TenantDto>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        Assert.Equal("demo", tenant.Id);
        Assert.Equal("Demo", tenant.Name);
        Assert.Equal(["settings", "team", "services", "solutions"], tenant.EntityTypes);
    }

    [Fact]
    public async Task No_token_is_401_problem_details()
    {
        var response = await GetAsync("/api/tenants/demo", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_401()
    {
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "realtime-sync",
            Audience = "realtime-sync",
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["tenant"] = "demo", ["sub"] = "mallory", ["role"] = new[] { "admin" } },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(new string('k', 64))), SecurityAlgorithms.HmacSha256),
        });

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/api/tenants/demo", forged)).StatusCode);
    }

    [Fact]
    public async Task An_unsigned_token_is_401()
    {
        static string B64(string s) => Base64UrlEncoder.Encode(s);
        var unsigned = $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"tenant\":\"demo\",\"sub\":\"x\",\"iss\":\"realtime-sync\",\"aud\":\"realtime-sync\",\"exp\":{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}}}")}.";

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/api/tenants/demo", unsigned)).StatusCode);
    }

    [Fact]
    public async Task A_tampered_payload_is_401()
    {
        var parts = Token("other").Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"other\"", "\"demo\"", StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/api/tenants/demo", tampered)).StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var expired = Token("demo", lifetime: TimeSpan.FromMinutes(-5));

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/api/tenants/demo", expired)).StatusCode);
    }

    [Fact]
    public async Task A_token_for_another_tenant_is_403_problem_naming_the_tenant_field()
    {
        var response = await GetAsync("/api/tenants/demo", Token("acme", "admin"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(403, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("tenant", problem.RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_tenant_that_does_not_exist_is_404_for_its_own_token()
    {
        var response = await GetAsync("/api/tenants/nope", Token("nope"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_admin_cookie_does_not_open_the_api()
    {
        using var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var login = await client.GetAsync("/login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);

        // Even a browser session must present a bearer token to the API; cookies would make it CSRF-able.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/tenants/demo")).StatusCode);
    }
}
