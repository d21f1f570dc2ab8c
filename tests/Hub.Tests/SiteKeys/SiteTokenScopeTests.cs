using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.SiteKeys;

/// <summary>A site token is public (it sits in a web page): live public data only.</summary>
public sealed class SiteTokenScopeTests
{
    [Fact]
    public async Task A_site_token_reads_no_deleted_entities_and_no_change_feed_with_actors()
    {
        await using var app = new HubApp();
        using var editor = app.CreateClient();
        editor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "alice", ["editor"], TimeSpan.FromMinutes(5)));
        Assert.True((await editor.DeleteAsync("/api/tenants/demo/entities/team/alan")).IsSuccessStatusCode);
        var key = await app.Services.GetRequiredService<ISiteKeyAdmin>().CreateAsync("demo", "www.example.com", "admin");
        using var mint = app.CreateClient();
        mint.DefaultRequestHeaders.Add("X-Api-Key", key.Secret);
        var token = (await (await mint.PostAsync("/api/site-tokens", null)).Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        using var site = app.CreateClient();
        site.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        foreach (var path in new[] { "/api/tenants/demo/entities/team?includeDeleted=true", "/api/tenants/demo/entities/team/changes", "/api/tenants/demo/entities/team/changes?after=0" })
        {
            using var response = await site.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path} answered {(int)response.StatusCode}");
            Assert.DoesNotContain("alice", await response.Content.ReadAsStringAsync());
        }

        var live = (await site.GetFromJsonAsync<JsonObject>("/api/tenants/demo/entities/team"))!;
        Assert.DoesNotContain("\"alan\"", live.ToJsonString());
        Assert.Contains("\"ada\"", live.ToJsonString());
    }
}
