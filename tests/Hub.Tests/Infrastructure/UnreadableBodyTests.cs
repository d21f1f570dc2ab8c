using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Tests.Documents;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

/// <summary>
/// Bodies System.Text.Json parses but cannot read (invalid UTF-8, a lone surrogate escape, a repeated property) were
/// a 500 on every JSON endpoint. The host's one body reader refuses them with a 400 naming <c>body</c>, and nothing changes.
/// </summary>
public sealed class UnreadableBodyTests : IAsyncLifetime
{
    private readonly HubApp app = new();

    public Task InitializeAsync()
    {
        _ = app.Services; // migrations and seed
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    public static TheoryData<string> Kinds => new() { "invalid-utf8", "lone-surrogate", "duplicate-key" };

    /// <summary>
    /// <paramref name="template"/> is a valid body with one string value <c>§</c>; the kind makes it unreadable:
    /// raw bytes that are not UTF-8 there, an unpaired <c>\ud800</c> escape there, or every property twice.
    /// </summary>
    private static ByteArrayContent Bad(string kind, string template, string? contentType = "application/json")
    {
        byte[] bytes = kind switch
        {
            "invalid-utf8" => [.. Encoding.UTF8.GetBytes(template[..template.IndexOf('§')]), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes(template[(template.IndexOf('§') + 1)..])],
            "lone-surrogate" => Encoding.UTF8.GetBytes(template.Replace("§", "\\ud800", StringComparison.Ordinal)),
            _ => Encoding.UTF8.GetBytes(Twice(template.Replace("§", "x", StringComparison.Ordinal))),
        };
        var content = new ByteArrayContent(bytes);
        if (contentType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        return content;
    }

    private static string Twice(string json)
    {
        var inner = json.Trim()[1..^1];
        return "{" + inner + "," + inner + "}";
    }

    private HttpClient Client(string role = "editor", string subject = "tester")
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", subject, [role], TimeSpan.FromMinutes(10)));
        return client;
    }

    private static async Task AssertBodyProblemAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("body", JsonNode.Parse(text)!["field"]!.GetValue<string>());
    }

    private async Task<int> ChangeCountAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var (changes, _) = await scope.ServiceProvider.GetRequiredService<EntityStore>().ChangesAsync("demo", 0, 10_000, "team");
        return changes.Count;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unreadable_entity_create_is_400_naming_the_body_and_creates_nothing(string kind)
    {
        using var client = Client();
        var before = await ChangeCountAsync();

        using var response = await client.PostAsync("/api/tenants/demo/entities/team",
            Bad(kind, """{"id":"probe","fields":{"name":"§","role":"Dev","joinDate":"2022-01-10","employeeId":"E-probe"}}"""));

        await AssertBodyProblemAsync(response);
        Assert.Equal(before, await ChangeCountAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/tenants/demo/entities/team/probe")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unreadable_entity_patch_is_400_naming_the_body_and_changes_nothing(string kind)
    {
        using var client = Client();
        using var created = await client.PostAsync("/api/tenants/demo/entities/team", new StringContent(
            """{"id":"patched","fields":{"name":"Linus","role":"Dev","joinDate":"2022-01-10","employeeId":"E-patched"}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var response = await client.PatchAsync("/api/tenants/demo/entities/team/patched", Bad(kind, """{"baseVersion":1,"fields":{"name":"§"}}"""));

        await AssertBodyProblemAsync(response);
        var entity = (await client.GetFromJsonAsync<JsonObject>("/api/tenants/demo/entities/team/patched"))!;
        Assert.Equal(1, entity["version"]!.GetValue<long>());
        Assert.Equal("Linus", entity["fields"]!["name"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unreadable_sync_upload_is_400_naming_the_body_and_applies_nothing(string kind)
    {
        using var client = Client(subject: "laptop-1");
        var before = await ChangeCountAsync();

        using var response = await client.PostAsync("/api/sync/up", Bad(kind,
            """{"clientId":"laptop-1","events":[{"id":"e1","tenantId":"demo","entityType":"team","entityId":"synced","operation":"CREATE","payload":{"name":"§","role":"Dev","joinDate":"2021-03-01","employeeId":"E-synced"},"createdAt":"2020-01-01T00:00:00Z"}]}"""));

        await AssertBodyProblemAsync(response);
        Assert.Equal(before, await ChangeCountAsync());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unreadable_conflict_resolution_is_400_naming_the_body_and_resolves_nothing(string kind)
    {
        using var client = Client(subject: "laptop-1");
        var before = await ChangeCountAsync();

        using var response = await client.PostAsync("/api/sync/conflicts/e1/resolve", Bad(kind, """{"resolution":"merge§","fields":{"name":"x"}}"""));

        await AssertBodyProblemAsync(response);
        Assert.Equal(before, await ChangeCountAsync());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unreadable_configuration_write_is_400_naming_the_body_and_keeps_the_value(string kind)
    {
        using var client = Client(role: "operator", subject: "ops-alice");
        var before = (await client.GetFromJsonAsync<JsonObject>("/api/config/OnlyOffice:DocumentServerUrl"))!.ToJsonString();

        using var response = await client.PutAsync("/api/config/OnlyOffice:DocumentServerUrl", Bad(kind, """{"value":"http://§.example"}"""));

        await AssertBodyProblemAsync(response);
        Assert.Equal(before, (await client.GetFromJsonAsync<JsonObject>("/api/config/OnlyOffice:DocumentServerUrl"))!.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unreadable_site_token_request_is_400_naming_the_body_and_mints_no_token(string kind)
    {
        var key = await app.Services.GetRequiredService<ISiteKeyAdmin>().CreateAsync("demo", "www.example.com", "admin");
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/site-tokens") { Content = Bad(kind, """{"ttlSeconds":900,"note":"§"}""") };
        request.Headers.TryAddWithoutValidation("X-Api-Key", key.Secret);

        using var response = await client.SendAsync(request);

        await AssertBodyProblemAsync(response);
        Assert.DoesNotContain("token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unreadable_document_rename_is_400_naming_the_body_and_keeps_the_name(string kind)
    {
        using var client = Client();
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(RandomNumberGenerator.GetBytes(64)), "file", "old.docx");
        using var uploaded = await client.PostAsync("/api/tenants/demo/documents", form);
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var id = JsonNode.Parse(await uploaded.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        using var response = await client.PatchAsync($"/api/tenants/demo/documents/{id}", Bad(kind, """{"filename":"§.docx"}"""));

        await AssertBodyProblemAsync(response);
        Assert.Equal("old.docx", (await client.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}"))!["filename"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_unreadable_onlyoffice_callback_is_400_so_document_server_stops_retrying_and_no_version_is_made(string kind)
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(4_000));
        var (callback, key) = await host.SessionAsync(doc.Id);

        using var http = new HttpClient();
        using var response = await http.PostAsync(callback, Bad(kind, "{\"key\":\"" + key + "\",\"status\":6,\"url\":\"http://§.example/file\"}", contentType: null));

        await AssertBodyProblemAsync(response);
        Assert.Equal(0, host.DocumentServer.FileDownloads);
        Assert.Equal(1, (await host.GetAsync(doc.Id)).Version);
    }
}
