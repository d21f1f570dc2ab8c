using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Config;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.SiteKeys;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Config;

/// <summary>The config store in file mode (embedded), through /api/config of the real host.</summary>
public sealed class ConfigApiTests : IAsyncLifetime
{
    private readonly HubApp app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task An_embedded_host_creates_a_file_per_key_and_serves_them_as_configuration()
    {
        using var client = ConfigClient.For(app);
        var list = await ConfigClient.ListAsync(client);

        Assert.Equal("file", list["mode"]!.GetValue<string>());
        Assert.False(list["degraded"]!.GetValue<bool>());
        var keys = list["keys"]!.AsArray().Select(k => k!["key"]!.GetValue<string>()).ToList();
        Assert.Equal(ConfigCatalogue.All.Select(k => k.Name), keys);
        Assert.All(list["keys"]!.AsArray(), k => Assert.Equal(
            ConfigCatalogue.Find(k!["key"]!.GetValue<string>())!.Secret ? "configuration" : "file", k["source"]!.GetValue<string>()));
        foreach (var key in ConfigCatalogue.All)
        {
            // Secrets come from configuration only: no copy of them on disk.
            Assert.Equal(!key.Secret, File.Exists(Path.Combine(app.DataPath, "config", key.Name.Replace(':', '.') + ".json")));
        }

        Assert.Equal(1000, (await ConfigClient.GetAsync(client, "Realtime:History:MaxCount"))["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_write_applies_at_once_to_features_that_read_at_use_time_and_is_versioned_with_history()
    {
        using var client = ConfigClient.For(app);
        var configuration = app.Services.GetRequiredService<IConfiguration>();
        var siteTokens = app.Services.GetRequiredService<IOptionsMonitor<SiteTokenOptions>>();

        var (status, body) = await ConfigClient.PutAsync(client, "SiteTokens:MaxTtlSeconds", """{"value": 7200}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("written", body!["outcome"]!.GetValue<string>());
        Assert.Equal(2, body["version"]!.GetValue<long>()); // version 1 is the seed
        Assert.Equal("7200", configuration["SiteTokens:MaxTtlSeconds"]);
        Assert.Equal(7200, siteTokens.CurrentValue.MaxTtlSeconds);

        // The body limit is read per request: a body over the new limit is refused with no restart.
        Assert.Equal(HttpStatusCode.OK, (await ConfigClient.PutAsync(client, "Limits:MaxRequestBodyBytes", """{"value": 2048}""")).Status);
        var (tooBig, problem) = await ConfigClient.PutAsync(client, "Realtime:History:MaxCount", $$"""{"value": 5, "pad": "{{new string('x', 4000)}}"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig);

        // Same value again: no new version.
        var (_, same) = await ConfigClient.PutAsync(client, "SiteTokens:MaxTtlSeconds", """{"value": 7200}""");
        Assert.Equal("unchanged", same!["outcome"]!.GetValue<string>());
        Assert.Equal(2, same["version"]!.GetValue<long>());

        // Optimistic concurrency: a stale expectedVersion is a 409 naming expectedVersion.
        var (conflict, conflictBody) = await ConfigClient.PutAsync(client, "SiteTokens:MaxTtlSeconds", """{"value": 600, "expectedVersion": 1}""");
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal("expectedVersion", conflictBody!["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await ConfigClient.PutAsync(client, "SiteTokens:MaxTtlSeconds", """{"value": 600, "expectedVersion": 2}""")).Status);

        var history = JsonNode.Parse(await client.GetStringAsync("/api/config/history"))!.AsArray();
        var first = history.First(h => h!["key"]!.GetValue<string>() == "SiteTokens:MaxTtlSeconds")!;
        Assert.Equal("600", first["value"]!.GetValue<string>());
        Assert.Equal(3, first["version"]!.GetValue<long>());
        Assert.Equal("ops-alice", first["updatedBy"]!.GetValue<string>());
        Assert.True(DateTimeOffset.UtcNow - first["updatedAt"]!.GetValue<DateTimeOffset>() < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Sync_rate_limits_set_through_the_store_apply_to_the_next_request()
    {
        using var admin = ConfigClient.For(app);
        using var laptop = ConfigClient.For(app, "editor", "laptop-1");
        async Task<HttpStatusCode> PullAsync()
        {
            using var response = await laptop.PostAsync("/api/sync/down", new StringContent("""{"clientId": "laptop-1"}""", Encoding.UTF8, "application/json"));
            return response.StatusCode;
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await PullAsync()); // default: 120 per minute
        }

        Assert.Equal(HttpStatusCode.OK, (await ConfigClient.PutAsync(admin, "Sync:RateLimits:PerClient:PermitLimit", """{"value": 2}""")).Status);
        Assert.Equal(HttpStatusCode.OK, await PullAsync());
        Assert.Equal(HttpStatusCode.OK, await PullAsync());
        Assert.Equal(HttpStatusCode.TooManyRequests, await PullAsync());

        Assert.Equal(HttpStatusCode.OK, (await ConfigClient.PutAsync(admin, "Sync:RateLimits:PerClient:PermitLimit", """{"value": 0}""")).Status);
        Assert.Equal(HttpStatusCode.OK, await PullAsync()); // 0: no limit
    }

    [Fact]
    public async Task Entity_overrides_set_through_the_store_change_the_merge_policy_at_once()
    {
        using var client = ConfigClient.For(app);
        var types = app.Services.GetRequiredService<EntityTypes>();
        Assert.Equal(ConflictPolicy.Reject, types.Current.Find("demo", "team")!.ConflictPolicy);

        var (status, _) = await ConfigClient.PutAsync(client, "Entities:Overrides",
            """{"value": {"demo": {"team": {"ConflictPolicy": "LastWriterWins", "PreservedFields": ["createdAt", "email"]}}}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var team = types.Current.Find("demo", "team")!;
        Assert.Equal(ConflictPolicy.LastWriterWins, team.ConflictPolicy);
        Assert.Equal(new[] { "createdAt", "email" }, team.PreservedFields);
    }

    [Theory]
    [InlineData("Realtime:History:MaxCount", """{"value": "many"}""", "value", "whole number")]
    [InlineData("Realtime:History:MaxCount", """{"value": 0}""", "value", "from 1 to")]
    [InlineData("Realtime:History:MaxCount", """{"value": 1.5}""", "value", "whole number")]
    [InlineData("Realtime:History:MaxCount", """{}""", "value", "required")]
    [InlineData("Realtime:History:MaxCount", """{"value": 5, "extra": 1}""", "extra", "not a known property")]
    [InlineData("Realtime:History:MaxCount", """{"value": 5, "expectedVersion": "two"}""", "expectedVersion", "whole number")]
    [InlineData("SiteTokens:MaxTtlSeconds", """{"value": 999999}""", "value", "from 60 to 86400")]
    [InlineData("OnlyOffice:DocumentServerUrl", """{"value": "ftp://ds.local"}""", "value", "http(s) URL")]
    [InlineData("OnlyOffice:JwtSecret", """{"value": 12345}""", "value", "must be a string")]
    [InlineData("Sync:RateLimits:PerClient:WindowSeconds", """{"value": 0}""", "value", "from 1 to")]
    [InlineData("Entities:Overrides", """{"value": {"demo": {"team": {"ConflictPolicy": "Whatever"}}}}""", "value", "demo.team.ConflictPolicy")]
    [InlineData("Entities:Overrides", """{"value": {"demo": {"team": {"ExtraFields": [{"Name": "x", "Type": "Blob"}]}}}}""", "value", "Name, Type")]
    [InlineData("Entities:Overrides", """{"value": {"demo": {"team": {"ExtraFields": [{"Type": "String"}]}}}}""", "value", "Name, Type")]
    [InlineData("Entities:Overrides", """{"value": [1, 2]}""", "value", "JSON object")]
    public async Task An_invalid_value_is_a_400_naming_the_field_and_writes_nothing(string key, string body, string field, string message)
    {
        using var client = ConfigClient.For(app);
        var before = await ConfigClient.GetAsync(client, key);

        var (status, problem) = await ConfigClient.PutAsync(client, key, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = problem!["errors"]!.AsObject();
        Assert.Contains(message, errors[field]![0]!.GetValue<string>());
        var after = await ConfigClient.GetAsync(client, key);
        Assert.Equal(before["version"]!.GetValue<long>(), after["version"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("{not json", "application/json", HttpStatusCode.BadRequest, "body")]
    [InlineData("[1]", "application/json", HttpStatusCode.BadRequest, "body")]
    [InlineData("value=5", "text/plain", HttpStatusCode.UnsupportedMediaType, "body")]
    public async Task A_malformed_body_is_a_problem_naming_the_body(string body, string contentType, HttpStatusCode expected, string field)
    {
        using var client = ConfigClient.For(app);

        var (status, problem) = await ConfigClient.PutAsync(client, "Realtime:History:MaxCount", body, contentType);

        Assert.Equal(expected, status);
        Assert.Equal(field, problem!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_keys_other_roles_and_missing_tokens_are_refused_with_the_field_named()
    {
        using (var admin = ConfigClient.For(app))
        {
            var (status, problem) = await ConfigClient.PutAsync(admin, "Realtime:Nope", """{"value": 1}""");
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("key", problem!["field"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/config/Auth:Jwt:SigningKey")).StatusCode); // not a store key
            var history = await admin.GetAsync("/api/config/history?limit=0");
            Assert.Equal(HttpStatusCode.BadRequest, history.StatusCode);
            Assert.Contains("limit", await history.Content.ReadAsStringAsync());
        }

        using (var editor = ConfigClient.For(app, role: "editor"))
        {
            var (status, problem) = await ConfigClient.PutAsync(editor, "Realtime:History:MaxCount", """{"value": 5}""");
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Equal("role", problem!["field"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.Forbidden, (await editor.GetAsync("/api/config")).StatusCode);
        }

        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/config")).StatusCode);
        var forged = app.CreateClient();
        forged.DefaultRequestHeaders.Authorization = new("Bearer", "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJl");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.PutAsync("/api/config/Realtime:History:MaxCount", new StringContent("""{"value": 5}""", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal("1000", app.Services.GetRequiredService<IConfiguration>()["Realtime:History:MaxCount"]);
    }

    [Theory]
    [InlineData("admin", "other")]
    [InlineData("admin", "demo")]
    public async Task A_tenant_admin_cannot_read_or_change_the_global_configuration(string role, string tenant)
    {
        using var operatorClient = ConfigClient.For(app);
        var before = await ConfigClient.ListAsync(operatorClient);
        using var tenantAdmin = ConfigClient.For(app, role, "mallory", tenant);

        foreach (var (key, body) in new[]
        {
            ("Entities:Overrides", """{"value": {"demo": {"team": {"ConflictPolicy": "LastWriterWins"}}}}"""),
            ("OnlyOffice:JwtSecret", """{"value": ""}"""),
            ("OnlyOffice:DocumentServerUrl", """{"value": "http://evil.example/"}"""),
        })
        {
            var (status, problem) = await ConfigClient.PutAsync(tenantAdmin, key, body);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Equal("role", problem!["field"]!.GetValue<string>());
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await tenantAdmin.GetAsync("/api/config")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenantAdmin.GetAsync("/api/config/OnlyOffice:DocumentServerUrl")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenantAdmin.GetAsync("/api/config/history")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenantAdmin.PostAsync("/api/config/verify", null)).StatusCode);

        // Nothing changed: same versions and values, and the running configuration never saw the writes.
        Assert.Equal(before.ToJsonString(), (await ConfigClient.ListAsync(operatorClient)).ToJsonString());
        Assert.Null(app.Services.GetRequiredService<IConfiguration>()["Entities:Overrides:demo:team:ConflictPolicy"]);
    }

    [Fact]
    public async Task Verify_reports_a_file_broken_by_hand()
    {
        using var client = ConfigClient.For(app);
        var ok = JsonNode.Parse(await (await client.PostAsync("/api/config/verify", null)).Content.ReadAsStringAsync())!;
        Assert.True(ok["ok"]!.GetValue<bool>());

        File.WriteAllText(Path.Combine(app.DataPath, "config", "Realtime.History.MaxCount.json"), """{"value": -3, "version": 9}""");
        var broken = JsonNode.Parse(await (await client.PostAsync("/api/config/verify", null)).Content.ReadAsStringAsync())!;

        Assert.False(broken["ok"]!.GetValue<bool>());
        var problem = Assert.Single(broken["problems"]!.AsArray());
        Assert.Equal("Realtime:History:MaxCount", problem!["key"]!.GetValue<string>());
        Assert.Contains("from 1 to", problem["problem"]!.GetValue<string>());
    }
}
