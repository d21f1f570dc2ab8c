using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.SiteKeys;

/// <summary>
/// Site keys and the subscriber tokens they mint, through the real host, on SQLite and on PostgreSQL. Keys
/// are created through <see cref="ISiteKeyAdmin"/>, the host service the backoffice page uses.
/// </summary>
public abstract class SiteTokensSuite : BackendSuite
{
    private const string TeamChannel = "demo/entities/team";

    private static Task<NewSiteKey> CreateKeyAsync(HubApp app, string tenant = "demo", string name = "www.example.com") =>
        app.Services.GetRequiredService<ISiteKeyAdmin>().CreateAsync(tenant, name, "admin");

    private static async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> MintAsync(
        HubApp app, string? key, string? body = null, string contentType = "application/json")
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/site-tokens");
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject(), response);
    }

    private static async Task<string> TokenAsync(HubApp app, string secret)
    {
        var (status, body, _) = await MintAsync(app, secret);
        Assert.Equal(HttpStatusCode.OK, status);
        return body["token"]!.GetValue<string>();
    }

    private static HttpClient Bearer(HubApp app, string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static void AssertProblem(HttpStatusCode expected, string field, (HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response) answer)
    {
        Assert.Equal(expected, answer.Status);
        Assert.Equal("application/problem+json", answer.Response.Content.Headers.ContentType?.MediaType);
        var named = answer.Body["field"]?.GetValue<string>() ?? answer.Body["errors"]?.AsObject().Single().Key;
        Assert.Equal(field, named);
    }

    private static async Task AddTenantAsync(HubApp app, string id)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        db.Tenants.Add(new TenantRow { Id = id, Name = id, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task A_minted_token_subscribes_to_its_tenants_entity_channel_and_receives_an_edit()
    {
        var app = Start();
        var key = await CreateKeyAsync(app);
        await using var hub = await InMemoryHubClient.ConnectAsync(app, await TokenAsync(app, key.Secret));

        Assert.Null(await hub.SubscribeAsync(TeamChannel));
        using var editor = Bearer(app, app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "editor-1", ["editor"], TimeSpan.FromMinutes(5)));
        var current = JsonNode.Parse(await editor.GetStringAsync("/api/tenants/demo/entities/team/ada"))!;
        var patch = await editor.PatchAsJsonAsync("/api/tenants/demo/entities/team/ada", new { baseVersion = current["version"]!.GetValue<long>(), fields = new { role = "Countess" } });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var publication = await hub.WaitForPublicationAsync(p => p.GetProperty("channel").GetString() == TeamChannel);
        Assert.Equal("entity.changed", publication.GetProperty("type").GetString());
        Assert.Equal("ada", publication.GetProperty("data").GetProperty("id").GetString());
        Assert.Equal("Countess", publication.GetProperty("data").GetProperty("changed").GetProperty("role").GetString());
    }

    [Fact]
    public async Task A_minted_token_is_refused_sync_presence_documents_and_other_tenants_channels()
    {
        var app = Start();
        var key = await CreateKeyAsync(app);
        await using var hub = await InMemoryHubClient.ConnectAsync(app, await TokenAsync(app, key.Secret));

        Assert.StartsWith("Not allowed: a subscribe-scoped token", await hub.SubscribeAsync("demo/sync/x"));
        Assert.StartsWith("Not allowed: a subscribe-scoped token", await hub.SubscribeAsync($"demo/sync/{key.Key.Id}"));
        Assert.StartsWith("Not allowed: a subscribe-scoped token", await hub.SubscribeAsync("demo/presence/x"));
        Assert.StartsWith("Not allowed: a subscribe-scoped token", await hub.SubscribeAsync("demo/documents/x"));
        Assert.Equal("Not allowed: channel 'other/entities/team' belongs to another tenant.", await hub.SubscribeAsync("other/entities/team"));

        // The refusals leave the connection usable for what the token is for.
        Assert.Null(await hub.SubscribeAsync("demo/entities/settings"));
    }

    [Fact]
    public async Task The_answer_and_the_token_carry_the_tenant_a_site_subject_the_viewer_role_and_the_subscribe_scope()
    {
        var app = Start();
        var key = await CreateKeyAsync(app);

        var (status, body, response) = await MintAsync(app, key.Secret);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("demo", body["tenant"]!.GetValue<string>());
        Assert.Equal("demo/entities/*", body["channels"]!.GetValue<string>());
        var token = new JsonWebToken(body["token"]!.GetValue<string>());
        Assert.Equal("demo", token.GetClaim("tenant").Value);
        Assert.Equal($"site:{key.Key.Id}", token.Subject);
        Assert.Equal(["viewer"], token.Claims.Where(c => c.Type == "role").Select(c => c.Value));
        Assert.Equal("subscribe", token.GetClaim("scope").Value);
        var expiresAt = body["expiresAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(token.ValidTo, expiresAt.UtcDateTime);
        Assert.Equal(900, (token.ValidTo - token.IssuedAt).TotalSeconds); // the default lifetime
    }

    [Fact]
    public async Task A_minted_token_reads_entities_but_cannot_write_or_read_another_tenant()
    {
        var app = Start();
        await AddTenantAsync(app, "other");
        var key = await CreateKeyAsync(app);
        using var site = Bearer(app, await TokenAsync(app, key.Secret));

        Assert.Equal(HttpStatusCode.OK, (await site.GetAsync("/api/tenants/demo")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await site.GetAsync("/api/tenants/demo/entities/team")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await site.GetAsync("/api/tenants/demo/entities/team/ada")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await site.GetAsync("/api/tenants/demo/entities/team/changes")).StatusCode); // actors, client ids: not public

        var writes = new[]
        {
            await site.PatchAsJsonAsync("/api/tenants/demo/entities/team/ada", new { baseVersion = 1, fields = new { role = "Hacked" } }),
            await site.PostAsJsonAsync("/api/tenants/demo/entities/team", new { id = "mallory", fields = new { name = "Mallory" } }),
            await site.DeleteAsync("/api/tenants/demo/entities/team/ada"),
        };
        foreach (var write in writes)
        {
            Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
            Assert.Equal("scope", JsonNode.Parse(await write.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        }

        var foreign = await site.GetAsync("/api/tenants/other/entities/team");
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal("tenant", JsonNode.Parse(await foreign.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());

        using var editor = Bearer(app, app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "editor-1", ["editor"], TimeSpan.FromMinutes(5)));
        var ada = JsonNode.Parse(await editor.GetStringAsync("/api/tenants/demo/entities/team/ada"))!;
        Assert.NotEqual("Hacked", ada["fields"]!["role"]?.GetValue<string>());
        Assert.False(ada["deleted"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, (await editor.GetAsync("/api/tenants/demo/entities/team/mallory")).StatusCode);
    }

    [Fact]
    public async Task A_key_mints_tokens_only_for_its_own_tenant()
    {
        var app = Start();
        await AddTenantAsync(app, "other");
        var key = await CreateKeyAsync(app, tenant: "other");

        var (status, body, _) = await MintAsync(app, key.Secret);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("other", body["tenant"]!.GetValue<string>());
        await using var hub = await InMemoryHubClient.ConnectAsync(app, body["token"]!.GetValue<string>());
        Assert.Equal("Not allowed: channel 'demo/entities/team' belongs to another tenant.", await hub.SubscribeAsync(TeamChannel));
        Assert.Null(await hub.SubscribeAsync("other/entities/team"));
    }

    [Fact]
    public async Task A_revoked_key_is_401_naming_the_header()
    {
        var app = Start();
        var admin = app.Services.GetRequiredService<ISiteKeyAdmin>();
        var key = await CreateKeyAsync(app);
        Assert.Equal(HttpStatusCode.OK, (await MintAsync(app, key.Secret)).Status);

        Assert.True(await admin.RevokeAsync("demo", key.Key.Id, "admin"));

        var refused = await MintAsync(app, key.Secret);
        AssertProblem(HttpStatusCode.Unauthorized, "X-Api-Key", refused);
        Assert.Contains("revoked", refused.Body["detail"]!.GetValue<string>());
        Assert.False(await admin.RevokeAsync("demo", key.Key.Id, "someone-else")); // already revoked: the first revocation stands
        var listed = Assert.Single(await admin.ListAsync("demo"));
        Assert.True(listed.Revoked);
        Assert.Equal("admin", listed.RevokedBy);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-key")]
    [InlineData("rsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // well-formed, but no such key
    public async Task A_missing_malformed_or_unknown_key_is_401_naming_the_header(string? key)
    {
        var app = Start();
        await CreateKeyAsync(app);

        var answer = await MintAsync(app, key);

        AssertProblem(HttpStatusCode.Unauthorized, "X-Api-Key", answer);
        Assert.Contains(answer.Response.Headers.WwwAuthenticate, h => h.Scheme == "ApiKey");
        Assert.False(answer.Body.ContainsKey("token"));
    }

    [Fact]
    public async Task Another_tenants_key_cannot_be_revoked_from_this_tenant()
    {
        var app = Start();
        await AddTenantAsync(app, "other");
        var admin = app.Services.GetRequiredService<ISiteKeyAdmin>();
        var foreign = await CreateKeyAsync(app, tenant: "other");

        Assert.False(await admin.RevokeAsync("demo", foreign.Key.Id, "admin"));

        Assert.Empty(await admin.ListAsync("demo"));
        Assert.Equal(HttpStatusCode.OK, (await MintAsync(app, foreign.Secret)).Status);
    }

    [Theory]
    [InlineData("""{"ttlSeconds":59}""")]
    [InlineData("""{"ttlSeconds":3601}""")]
    [InlineData("""{"ttlSeconds":0}""")]
    [InlineData("""{"ttlSeconds":-900}""")]
    [InlineData("""{"ttlSeconds":900.5}""")]
    [InlineData("""{"ttlSeconds":"900"}""")]
    [InlineData("""{"ttlSeconds":99999999999}""")]
    public async Task A_ttl_outside_the_bounds_is_400_naming_ttlSeconds(string body)
    {
        var app = Start();
        var key = await CreateKeyAsync(app);

        AssertProblem(HttpStatusCode.BadRequest, "ttlSeconds", await MintAsync(app, key.Secret, body));
    }

    [Theory]
    [InlineData("""{"ttlSeconds":60}""", 60)]
    [InlineData("""{"ttlSeconds":3600}""", 3600)]
    [InlineData("""{"ttlSeconds":null}""", 900)]
    [InlineData("{}", 900)]
    public async Task A_ttl_within_the_bounds_is_the_tokens_lifetime(string body, int seconds)
    {
        var app = Start();
        var key = await CreateKeyAsync(app);

        var (status, answer, _) = await MintAsync(app, key.Secret, body);

        Assert.Equal(HttpStatusCode.OK, status);
        var token = new JsonWebToken(answer["token"]!.GetValue<string>());
        Assert.Equal(seconds, (token.ValidTo - token.IssuedAt).TotalSeconds);
    }

    [Fact]
    public async Task The_maximum_ttl_comes_from_configuration()
    {
        var app = Start(new() { ["SiteTokens:MaxTtlSeconds"] = "600" });
        var key = await CreateKeyAsync(app);

        AssertProblem(HttpStatusCode.BadRequest, "ttlSeconds", await MintAsync(app, key.Secret, """{"ttlSeconds":601}"""));
        Assert.Equal(HttpStatusCode.OK, (await MintAsync(app, key.Secret, """{"ttlSeconds":600}""")).Status);

        // A default above the configured maximum is capped to it.
        var token = new JsonWebToken((await MintAsync(app, key.Secret)).Body["token"]!.GetValue<string>());
        Assert.Equal(600, (token.ValidTo - token.IssuedAt).TotalSeconds);
    }

    [Theory]
    [InlineData("""{"ttl":900}""", "application/json", HttpStatusCode.BadRequest, "ttl")]
    [InlineData("""{"ttlSeconds":900""", "application/json", HttpStatusCode.BadRequest, "body")]
    [InlineData("[900]", "application/json", HttpStatusCode.BadRequest, "body")]
    [InlineData("ttlSeconds=900", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType, "body")]
    public async Task A_bad_body_is_a_problem_naming_the_field(string body, string contentType, HttpStatusCode expected, string field)
    {
        var app = Start();
        var key = await CreateKeyAsync(app);

        AssertProblem(expected, field, await MintAsync(app, key.Secret, body, contentType));
    }

    [Fact]
    public async Task A_bad_body_with_a_bad_key_is_401_first()
    {
        var app = Start();

        AssertProblem(HttpStatusCode.Unauthorized, "X-Api-Key", await MintAsync(app, "nope", """{"ttlSeconds":1}"""));
    }

    [Fact]
    public async Task The_secret_is_stored_only_as_its_sha256_and_shown_by_its_prefix()
    {
        var app = Start();
        var key = await CreateKeyAsync(app);
        Assert.Matches("^rsk_[A-Za-z0-9_-]{43}$", key.Secret);
        Assert.Equal(key.Secret[..12], key.Key.Prefix);

        var columns = new Dictionary<string, string?>();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var connection = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>().Database.GetDbConnection();
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT * FROM site_keys";
            await using DbDataReader reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            for (var i = 0; i < reader.FieldCount; i++)
            {
                columns[reader.GetName(i)] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
            }

            Assert.False(await reader.ReadAsync());
        }

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key.Secret))), columns["key_hash"]);
        Assert.Equal(key.Secret[..12], columns["key_prefix"]);
        Assert.All(columns.Values, value => Assert.DoesNotContain(key.Secret[12..], value ?? ""));
        Assert.DoesNotContain(key.Secret, key.ToString()); // a record's ToString would print it
    }

    [Fact]
    public async Task The_secret_is_never_logged_though_creation_minting_and_refusals_are()
    {
        var logs = Path.Combine(Path.GetTempPath(), "rs-tests", "logs-" + Guid.NewGuid().ToString("N"));
        var app = Start(new()
        {
            ["Logging:File"] = Path.Combine(logs, "hub-.json"),
            ["Serilog:MinimumLevel"] = "Verbose",
            ["Logging:LogLevel:Default"] = "Trace",
        });
        try
        {
            var key = await CreateKeyAsync(app);
            await TokenAsync(app, key.Secret);
            var typo = key.Secret[..^1] + (key.Secret[^1] == 'A' ? 'B' : 'A');
            Assert.Equal(HttpStatusCode.Unauthorized, (await MintAsync(app, typo)).Status);
            await app.Services.GetRequiredService<ISiteKeyAdmin>().RevokeAsync("demo", key.Key.Id, "admin");
            Assert.Equal(HttpStatusCode.Unauthorized, (await MintAsync(app, key.Secret)).Status);

            var text = string.Concat(Directory.GetFiles(logs).Select(ReadShared));
            Assert.Contains("\"EventId\":{\"Id\":6001", text); // created
            Assert.Contains("\"EventId\":{\"Id\":6003", text); // minted
            Assert.Contains("\"EventId\":{\"Id\":6004", text); // unknown key refused
            Assert.Contains("\"EventId\":{\"Id\":6005", text); // revoked key refused
            Assert.Contains(key.Key.Id, text);
            Assert.DoesNotContain(key.Secret[12..], text);
            Assert.DoesNotContain(typo[12..], text);
        }
        finally
        {
            Directory.Delete(logs, recursive: true); // the host still writes to it until the suite disposes it; fine on Linux
        }
    }

    [Fact]
    public async Task Minting_records_when_the_key_was_last_used()
    {
        var app = Start();
        var admin = app.Services.GetRequiredService<ISiteKeyAdmin>();
        var key = await CreateKeyAsync(app);
        Assert.Null(Assert.Single(await admin.ListAsync("demo")).LastUsedAt);

        await TokenAsync(app, key.Secret);

        var used = Assert.Single(await admin.ListAsync("demo")).LastUsedAt;
        Assert.NotNull(used);
        Assert.InRange(used.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task Keys_are_listed_newest_first_and_a_blank_or_long_name_is_refused()
    {
        var app = Start();
        var admin = app.Services.GetRequiredService<ISiteKeyAdmin>();
        await CreateKeyAsync(app, name: "first.example");
        await CreateKeyAsync(app, name: "  second.example  ");

        Assert.Equal(["second.example", "first.example"], (await admin.ListAsync("demo")).Select(k => k.Name));
        await Assert.ThrowsAsync<ArgumentException>(() => admin.CreateAsync("demo", "   ", "admin"));
        await Assert.ThrowsAsync<ArgumentException>(() => admin.CreateAsync("demo", new string('x', SiteKeyName.MaxLength + 1), "admin"));
        Assert.Equal(2, (await admin.ListAsync("demo")).Count);
    }

    private static string ReadShared(string path)
    {
        // The logger still has the file open.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

public sealed class SqliteSiteTokensTests : SiteTokensSuite
{
    protected override Backend Backend => Backend.Sqlite;
}

public sealed class PostgresSiteTokensTests : SiteTokensSuite
{
    protected override Backend Backend => Backend.Postgres;
}
