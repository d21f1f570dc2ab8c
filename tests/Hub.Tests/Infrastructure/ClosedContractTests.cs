using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Tests.Documents;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

/// <summary>
/// Every JSON endpoint reads a typed request record through the host's one body reader: a member the contract does
/// not have (a misspelt <c>baseVersion</c> that would silently make a write unconditional) and a member of the wrong
/// type are a 400 problem whose <c>field</c> names the member, and nothing changes. One test per endpoint family.
/// Where the contract is open by design (entity <c>fields</c>, Document Server's callback), the test says so.
/// </summary>
public sealed class ClosedContractTests : IAsyncLifetime
{
    private readonly HubApp app = new();

    public Task InitializeAsync()
    {
        _ = app.Services; // migrations and seed
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private HttpClient Client(string role = "editor", string subject = "tester")
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", subject, [role], TimeSpan.FromMinutes(10)));
        return client;
    }

    /// <summary>A 400 problem whose <c>field</c> extension is <paramref name="member"/>.</summary>
    private static async Task AssertRefusedAsync(HttpResponseMessage response, string member)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(member, JsonNode.Parse(text)!["field"]?.GetValue<string>());
    }

    private async Task<int> ChangeCountAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var (changes, _) = await scope.ServiceProvider.GetRequiredService<EntityStore>().ChangesAsync("demo", 0, 10_000, "team");
        return changes.Count;
    }

    private async Task CreateTeamMemberAsync(HttpClient client, string id)
    {
        using var created = await client.PostAsync("/api/tenants/demo/entities/team", Json(
            $$$"""{"id":"{{{id}}}","fields":{"name":"Linus","role":"Dev","joinDate":"2022-01-10","employeeId":"E-{{{id}}}"}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Theory]
    [InlineData("POST", "", """{"id":"probe","fields":{"name":"x","role":"Dev","joinDate":"2022-01-10","employeeId":"E-p"},"basVersion":1}""", "basVersion")]
    [InlineData("POST", "", """{"id":"probe","fields":[["name","x"]]}""", "fields")]
    [InlineData("POST", "", """{"id":7,"fields":{"name":"x","role":"Dev","joinDate":"2022-01-10","employeeId":"E-p"}}""", "id")]
    [InlineData("PATCH", "/kept", """{"baseVersion":1,"fields":{"name":"Ada"},"force":true}""", "force")]
    [InlineData("PATCH", "/kept", """{"baseVersion":"1","fields":{"name":"Ada"}}""", "baseVersion")]
    [InlineData("DELETE", "/kept", """{"baseVersion":1,"hard":true}""", "hard")]
    [InlineData("DELETE", "/kept", """{"baseVersion":"one"}""", "baseVersion")]
    public async Task Entity_writes_refuse_an_unknown_member_and_a_wrong_type_naming_it_and_change_nothing(string method, string path, string body, string member)
    {
        using var client = Client();
        await CreateTeamMemberAsync(client, "kept");
        var before = await ChangeCountAsync();

        using var request = new HttpRequestMessage(new HttpMethod(method), "/api/tenants/demo/entities/team" + path) { Content = Json(body) };
        using var response = await client.SendAsync(request);

        await AssertRefusedAsync(response, member);
        Assert.Equal(before, await ChangeCountAsync());
        var kept = (await client.GetFromJsonAsync<JsonObject>("/api/tenants/demo/entities/team/kept"))!;
        Assert.Equal(1, kept["version"]!.GetValue<long>());
        Assert.Equal("Linus", kept["fields"]!["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/tenants/demo/entities/team/probe")).StatusCode);
    }

    [Fact]
    public async Task Entity_fields_are_free_form_in_the_body_and_checked_against_the_schema_instead()
    {
        using var client = Client();
        var before = await ChangeCountAsync();

        // "fields" is open in the request record (its members are the entity type's), so an unknown field gets past the
        // reader and is refused by the schema, naming the field, like any other invalid value.
        using var response = await client.PostAsync("/api/tenants/demo/entities/team", Json(
            """{"id":"probe","fields":{"name":"x","role":"Dev","joinDate":"2022-01-10","employeeId":"E-p","shoeSize":44}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject().ContainsKey("shoeSize"));
        Assert.Equal(before, await ChangeCountAsync());
    }

    [Theory]
    [InlineData("/api/sync/up", """{"clientId":"laptop-1","events":[],"dryRun":true}""", "dryRun")]
    [InlineData("/api/sync/up", """{"clientId":"laptop-1","events":"none"}""", "events")]
    [InlineData("/api/sync/up", """{"clientId":["laptop-1"],"events":[]}""", "clientId")]
    [InlineData("/api/sync/down", """{"clientId":"laptop-1","since":0}""", "since")]
    [InlineData("/api/sync/down", """{"clientId":"laptop-1","entityTypes":"team"}""", "entityTypes")]
    [InlineData("/api/sync/down", """{"clientId":"laptop-1","entityTypes":["team",5]}""", "entityTypes[1]")]
    [InlineData("/api/sync/conflicts/e1/resolve", """{"resolution":"merge","fields":{"name":"x"},"force":true}""", "force")]
    [InlineData("/api/sync/conflicts/e1/resolve", """{"resolution":2}""", "resolution")]
    public async Task Sync_envelopes_refuse_an_unknown_member_and_a_wrong_type_naming_it_and_apply_nothing(string path, string body, string member)
    {
        using var client = Client(subject: "laptop-1");
        var before = await ChangeCountAsync();

        using var response = await client.PostAsync(path, Json(body));

        await AssertRefusedAsync(response, member);
        Assert.Equal(before, await ChangeCountAsync());
    }

    [Theory]
    [InlineData("""{"value":"http://ds.example","expected":3}""", "expected")]
    [InlineData("""{"value":"http://ds.example","expectedVersion":"3"}""", "expectedVersion")]
    public async Task A_configuration_write_refuses_an_unknown_member_and_a_wrong_type_naming_it_and_keeps_the_value(string body, string member)
    {
        using var client = Client(role: "operator", subject: "ops-alice");
        var before = (await client.GetFromJsonAsync<JsonObject>("/api/config/OnlyOffice:DocumentServerUrl"))!.ToJsonString();

        using var response = await client.PutAsync("/api/config/OnlyOffice:DocumentServerUrl", Json(body));

        await AssertRefusedAsync(response, member);
        Assert.Equal(before, (await client.GetFromJsonAsync<JsonObject>("/api/config/OnlyOffice:DocumentServerUrl"))!.ToJsonString());
    }

    [Theory]
    [InlineData("""{"ttlSeconds":900,"scope":"admin"}""", "scope")]
    [InlineData("""{"ttlSeconds":"900"}""", "ttlSeconds")]
    public async Task A_site_token_request_refuses_an_unknown_member_and_a_wrong_type_naming_it_and_mints_nothing(string body, string member)
    {
        var key = await app.Services.GetRequiredService<ISiteKeyAdmin>().CreateAsync("demo", "www.example.com", "admin");
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/site-tokens") { Content = Json(body) };
        request.Headers.TryAddWithoutValidation("X-Api-Key", key.Secret);

        using var response = await client.SendAsync(request);

        await AssertRefusedAsync(response, member);
        Assert.DoesNotContain("token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rename", """{"filename":"new.docx","folder":"/tmp"}""", "folder")]
    [InlineData("rename", """{"filename":["new.docx"]}""", "filename")]
    [InlineData("batch", """{"documentIds":["§"],"format":"tar"}""", "format")]
    [InlineData("batch", """{"documentIds":"§"}""", "documentIds")]
    public async Task Document_bodies_refuse_an_unknown_member_and_a_wrong_type_naming_it_and_change_nothing(string endpoint, string template, string member)
    {
        using var client = Client();
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(RandomNumberGenerator.GetBytes(64)), "file", "old.docx");
        using var uploaded = await client.PostAsync("/api/tenants/demo/documents", form);
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var id = JsonNode.Parse(await uploaded.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var body = template.Replace("§", id, StringComparison.Ordinal);

        using var response = endpoint == "rename"
            ? await client.PatchAsync($"/api/tenants/demo/documents/{id}", Json(body))
            : await client.PostAsync("/api/tenants/demo/documents/batch-download", Json(body));

        await AssertRefusedAsync(response, member); // for the batch: a problem, not a zip
        Assert.Equal("old.docx", (await client.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}"))!["filename"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_signed_callback_with_a_wrong_type_is_400_naming_it_and_no_version_is_made()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(4_000));
        var (callback, key) = await host.SessionAsync(doc.Id);
        var fields = DocumentServerStandIn.Body(key, 6, host.DocumentServer.Serve(Encoding.UTF8.GetBytes("edited")), "2026-12-06T01:00:00Z");
        fields["url"] = new JsonArray(fields["url"]!.GetValue<string>());

        var (status, body) = await host.DocumentServer.SendCallbackAsync(callback, fields, Signing.BodyToken);

        Assert.True(status == 400, $"{status}: {body}");
        Assert.Equal("url", JsonNode.Parse(body)!["field"]!.GetValue<string>());
        Assert.Equal(0, host.DocumentServer.FileDownloads);
        Assert.Equal(1, (await host.GetAsync(doc.Id)).Version);
    }

    [Fact]
    public async Task A_signed_callback_with_members_the_hub_does_not_use_is_accepted_because_document_server_sends_many()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(4_000));
        var (callback, key) = await host.SessionAsync(doc.Id);
        var fields = DocumentServerStandIn.Body(key, 6, host.DocumentServer.Serve(Encoding.UTF8.GetBytes("edited")), "2026-12-06T01:00:00Z", forceSaveType: 1);
        fields["history"] = new JsonObject { ["serverVersion"] = "8.2.0", ["changes"] = new JsonArray() };
        fields["userdata"] = "anything";
        fields["aFieldOfAFutureRelease"] = new JsonObject { ["x"] = 1 };

        var (status, body) = await host.DocumentServer.SendCallbackAsync(callback, fields, Signing.BodyToken);

        Assert.True(status == 200, $"{status}: {body}");
        Assert.Equal(2, (await host.WaitForVersionAsync(doc.Id, 2)).Version);
    }
}
