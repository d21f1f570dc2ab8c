using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Hub.Infrastructure.Auth;

namespace RealtimeSync.Admin.Tests.Sync;

/// <summary>The Sync page in a real browser over conflicts a real client made through /api/sync.</summary>
public sealed class SyncPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private HttpClient Api(string subject)
    {
        var http = new HttpClient { BaseAddress = fixture.App.Address, Timeout = TimeSpan.FromSeconds(30) };
        var token = fixture.App.Services.GetRequiredService<TokenIssuer>().Issue("demo", subject, ["editor"], TimeSpan.FromMinutes(10));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static JsonObject Event(string id, string operation, string entityId, JsonObject payload, long? baseVersion = null) => new()
    {
        ["id"] = id,
        ["tenantId"] = "demo",
        ["entityType"] = "team",
        ["entityId"] = entityId,
        ["operation"] = operation,
        ["payload"] = payload,
        ["baseVersion"] = baseVersion,
    };

    private static async Task<JsonObject> UpAsync(HttpClient client, params JsonObject[] events)
    {
        var response = await client.PostAsync("/api/sync/up", Json(new JsonObject { ["clientId"] = "laptop-7", ["events"] = new JsonArray(events) }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private async Task<JsonNode> FieldsAsync(string id)
    {
        using var api = Api("reader");
        return JsonNode.Parse(await api.GetStringAsync($"/api/tenants/demo/entities/team/{id}"))!["fields"]!;
    }

    [Fact]
    public async Task An_admin_sees_the_client_and_its_conflicts_side_by_side_and_resolves_each_way()
    {
        using var client = Api("laptop-7");
        using var colleague = Api("editor-anna");
        string[] ids = ["pw-merge", "pw-accept", "pw-keep"];
        await UpAsync(client, ids.Select((id, i) => Event($"new-{i}", "CREATE", id, new JsonObject { ["name"] = $"Person {i}", ["role"] = "Dev" })).ToArray());
        foreach (var id in ids)
        {
            var patch = await colleague.PatchAsync($"/api/tenants/demo/entities/team/{id}", Json(new JsonObject { ["baseVersion"] = 1, ["fields"] = new JsonObject { ["role"] = "Architect" } }));
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        var answer = await UpAsync(client, ids.Select((id, i) => Event($"edit-{i}", "UPDATE", id, new JsonObject { ["role"] = "Lead", ["name"] = $"Renamed {i}" }, baseVersion: 1)).ToArray());
        Assert.Equal(3, answer["conflicts"]!.AsArray().Count);

        var (context, page, errors) = await fixture.SignedInPageAsync("admin", "/sync");
        await using var _ = context;
        await page.WaitForSelectorAsync("[data-testid=sync-page][data-live=true]");
        Assert.EndsWith("/sync", await page.Locator("[data-testid=nav] a", new() { HasText = "Sync" }).GetAttributeAsync("href"));
        Assert.Equal("3", await page.InnerTextAsync("[data-testid=client-pending][data-client=laptop-7]"));
        Assert.Contains("behind", await page.InnerTextAsync("[data-testid=client-cursor][data-client=laptop-7]"));

        // Side by side: the conflicting field is marked, with the client's value, the server's then and now.
        var merge = page.Locator("[data-testid=conflict][data-event=edit-0]");
        Assert.Equal("field-conflict", await merge.Locator("[data-testid=conflict-reason]").InnerTextAsync());
        var role = merge.Locator("[data-testid=conflict-field][data-field=role]");
        Assert.Equal("true", await role.GetAttributeAsync("data-conflict"));
        Assert.Equal("\"Lead\"", await role.Locator("[data-testid=local-value]").InnerTextAsync());
        Assert.Equal("\"Architect\"", await role.Locator("[data-testid=server-value]").InnerTextAsync());
        Assert.Equal("false", await merge.Locator("[data-testid=conflict-field][data-field=name]").GetAttributeAsync("data-conflict"));

        // Merge: the client's role, the server's name.
        await role.Locator("[data-testid=take-local]").CheckAsync();
        await merge.Locator("[data-testid=conflict-field][data-field=name] [data-testid=take-server]").CheckAsync();
        await merge.Locator("[data-testid=merge]").ClickAsync();
        await merge.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        await page.Locator("[data-testid=conflict][data-event=edit-1] [data-testid=accept-server]").ClickAsync();
        await page.Locator("[data-testid=conflict][data-event=edit-1]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.Locator("[data-testid=conflict][data-event=edit-2] [data-testid=keep-local]").ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=no-conflicts]");

        var merged = await FieldsAsync("pw-merge");
        Assert.Equal(("Lead", "Person 0"), (merged["role"]!.GetValue<string>(), merged["name"]!.GetValue<string>()));
        var accepted = await FieldsAsync("pw-accept");
        Assert.Equal(("Architect", "Person 1"), (accepted["role"]!.GetValue<string>(), accepted["name"]!.GetValue<string>()));
        var kept = await FieldsAsync("pw-keep");
        Assert.Equal(("Lead", "Renamed 2"), (kept["role"]!.GetValue<string>(), kept["name"]!.GetValue<string>()));
        Assert.Equal("0", await page.InnerTextAsync("[data-testid=client-pending][data-client=laptop-7]"));

        // Resolved ones stay visible on request, with who resolved them how.
        await page.Locator("[data-testid=include-resolved]").ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=conflict][data-event=edit-0][data-status=resolved]");
        Assert.Contains("merge by admin", await page.InnerTextAsync("[data-testid=conflict][data-event=edit-0] [data-testid=conflict-resolution]"), StringComparison.OrdinalIgnoreCase);

        // The audit log, filtered to this client: both uploads and the three resolutions.
        await page.FillAsync("[data-testid=log-client] input, input[data-testid=log-client]", "laptop-7");
        await page.ClickAsync("[data-testid=log-filter]");
        await page.WaitForSelectorAsync("[data-testid=log-row][data-direction=resolve]");
        Assert.Equal(3, await page.Locator("[data-testid=log-row][data-direction=resolve][data-status=ok]").CountAsync());
        Assert.Equal(2, await page.Locator("[data-testid=log-row][data-direction=up]").CountAsync());
        Assert.Equal(0, await page.Locator("[data-testid=log-row]:not([data-client=laptop-7])").CountAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_viewer_sees_conflicts_but_no_resolution_buttons()
    {
        using var client = Api("laptop-7");
        using var colleague = Api("editor-anna");
        await UpAsync(client, Event("v-new", "CREATE", "pw-view", new JsonObject { ["name"] = "Viewed", ["role"] = "Dev" }));
        Assert.Equal(HttpStatusCode.OK, (await colleague.PatchAsync("/api/tenants/demo/entities/team/pw-view", Json(new JsonObject { ["baseVersion"] = 1, ["fields"] = new JsonObject { ["role"] = "Architect" } }))).StatusCode);
        await UpAsync(client, Event("v-edit", "UPDATE", "pw-view", new JsonObject { ["role"] = "Lead" }, baseVersion: 1));

        var (context, page, _) = await fixture.SignedInPageAsync(BrowserFixture.Viewer, "/sync");
        await using var _1 = context;
        await page.WaitForSelectorAsync("[data-testid=sync-page][data-live=true]");
        await page.WaitForSelectorAsync("[data-testid=conflict][data-event=v-edit]");

        Assert.Equal(0, await page.Locator("[data-testid=conflict][data-event=v-edit] [data-testid=accept-server]").CountAsync());
        Assert.Equal(0, await page.Locator("[data-testid=conflict][data-event=v-edit] [data-testid=take-local]").CountAsync());
    }
}
