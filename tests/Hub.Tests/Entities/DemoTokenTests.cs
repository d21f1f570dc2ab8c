using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Entities;

/// <summary><c>GET /demo/token</c> is anonymous: what it hands out must be no more than a public site's subscriber token.</summary>
public sealed class DemoTokenTests
{
    [Fact]
    public async Task The_anonymous_demo_token_reads_no_documents_editor_configs_or_diagnostics()
    {
        await using var app = new HubApp();
        using var editor = app.CreateClient();
        editor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "alice", ["editor"], TimeSpan.FromMinutes(5)));
        using var form = new MultipartFormDataContent { { new ByteArrayContent(RandomNumberGenerator.GetBytes(2_000)), "file", "salaries.docx" } };
        using var uploaded = await editor.PostAsync("/api/tenants/demo/documents", form);
        var id = (await uploaded.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        using var anonymous = app.CreateClient();
        var demo = (await anonymous.GetFromJsonAsync<JsonObject>("/demo/token"))!;
        using var visitor = app.CreateClient();
        visitor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", demo["token"]!.GetValue<string>());

        foreach (var path in new[]
        {
            "/api/tenants/demo/documents", $"/api/tenants/demo/documents/{id}", $"/api/tenants/demo/documents/{id}/editor-config",
            $"/api/tenants/demo/documents/{id}/diagnostics", $"/api/tenants/demo/documents/{id}/content",
        })
        {
            using var response = await visitor.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path} answered {(int)response.StatusCode}");
        }

        // What the demo page needs still works: the public entities.
        Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync("/api/tenants/demo/entities/team")).StatusCode);
        Assert.Equal("demo/entities/*", demo["channels"]!.GetValue<string>());
        Assert.Single((await editor.GetFromJsonAsync<JsonArray>("/api/tenants/demo/documents"))!); // untouched
    }

    [Fact]
    public async Task A_production_mode_node_serves_no_demo_token_unless_enabled()
    {
        await using var production = new HubApp(TestServers.S3Settings());
        using var anonymous = production.CreateClient();
        using var refused = await anonymous.GetAsync("/demo/token");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);

        var enabled = TestServers.S3Settings();
        enabled["Demo:Enabled"] = "true";
        await using var opted = new HubApp(enabled);
        using var optedClient = opted.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await optedClient.GetAsync("/demo/token")).StatusCode);
    }
}
