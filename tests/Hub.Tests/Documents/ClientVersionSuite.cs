using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RealtimeSync.Hub.Tests.DocumentSync;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Documents;

/// <summary>A client's new version of a document (from a base version) and a rename, through the real host.</summary>
public abstract class ClientVersionSuite : BackendSuite
{
    [Fact]
    public async Task A_new_version_from_the_current_base_is_stored_and_a_stale_one_gets_409_with_the_current_version()
    {
        var app = Start();
        using var client = SyncTestData.Client(app);
        var (id, _) = await SyncTestData.UploadAsync(client, Encoding.UTF8.GetBytes("first"));
        var second = Encoding.UTF8.GetBytes("second from laptop");

        using var ok = await client.PutAsync($"/api/tenants/demo/documents/{id}/content?baseVersion=1", new ByteArrayContent(second));
        using var stale = await client.PutAsync($"/api/tenants/demo/documents/{id}/content?baseVersion=1", new ByteArrayContent(Encoding.UTF8.GetBytes("from phone")));
        using var content = await client.GetAsync($"/api/tenants/demo/documents/{id}/content");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var answer = JsonNode.Parse(await ok.Content.ReadAsStringAsync())!;
        Assert.Equal((2, Convert.ToHexStringLower(SHA256.HashData(second))), ((int)answer["version"]!, (string?)answer["sha256"]));
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var problem = JsonNode.Parse(await stale.Content.ReadAsStringAsync())!;
        Assert.Equal((2, "baseVersion"), ((int)problem["currentVersion"]!, (string?)problem["field"]));
        Assert.Equal(second, await content.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Two_uploads_racing_from_the_same_base_version_store_exactly_one()
    {
        var app = Start();
        using var client = SyncTestData.Client(app);
        var (id, _) = await SyncTestData.UploadAsync(client, Encoding.UTF8.GetBytes("first"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            client.PutAsync($"/api/tenants/demo/documents/{id}/content?baseVersion=1", new ByteArrayContent(Encoding.UTF8.GetBytes($"racer {i}")))));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        var versions = await client.GetFromJsonAsync<JsonArray>($"/api/tenants/demo/documents/{id}/versions");
        Assert.Equal(2, versions!.Count);
    }

    [Fact]
    public async Task An_upload_without_a_base_version_or_by_a_viewer_is_refused_and_stores_nothing()
    {
        var app = Start();
        using var client = SyncTestData.Client(app);
        using var viewer = SyncTestData.Client(app, role: "viewer");
        var (id, _) = await SyncTestData.UploadAsync(client, Encoding.UTF8.GetBytes("first"));

        using var noBase = await client.PutAsync($"/api/tenants/demo/documents/{id}/content", new ByteArrayContent([1, 2, 3]));
        using var readOnly = await viewer.PutAsync($"/api/tenants/demo/documents/{id}/content?baseVersion=1", new ByteArrayContent([1, 2, 3]));
        using var missing = await client.PutAsync("/api/tenants/demo/documents/nope/content?baseVersion=1", new ByteArrayContent([1, 2, 3]));

        Assert.Equal((HttpStatusCode.BadRequest, "baseVersion"), (noBase.StatusCode, (string?)JsonNode.Parse(await noBase.Content.ReadAsStringAsync())!["field"]));
        Assert.Equal(HttpStatusCode.Forbidden, readOnly.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Single((await client.GetFromJsonAsync<JsonArray>($"/api/tenants/demo/documents/{id}/versions"))!);
    }

    [Fact]
    public async Task A_rename_changes_the_filename_and_shows_in_documents_sync()
    {
        var app = Start();
        using var client = SyncTestData.Client(app);
        var (id, _) = await SyncTestData.UploadAsync(client, Encoding.UTF8.GetBytes("first"), filename: "old.docx");
        var before = JsonNode.Parse(await client.GetStringAsync("/api/tenants/demo/documents/sync"))!;

        using var renamed = await client.PatchAsJsonAsync($"/api/tenants/demo/documents/{id}", new { filename = "new name.docx" });
        using var folder = await client.PatchAsJsonAsync($"/api/tenants/demo/documents/{id}", new { filename = "../evil.docx" });
        var after = JsonNode.Parse(await client.GetStringAsync($"/api/tenants/demo/documents/sync?cursor={Uri.EscapeDataString((string)before["cursor"]!)}"))!;

        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, folder.StatusCode);
        var modified = Assert.Single(after["modified"]!.AsArray());
        Assert.Equal((id, "new name.docx"), ((string?)modified!["id"], (string?)modified["filename"]));
    }
}

public sealed class SqliteClientVersionTests : ClientVersionSuite
{
    protected override Backend Backend => Backend.Sqlite;
}

public sealed class PostgresClientVersionTests : ClientVersionSuite
{
    protected override Backend Backend => Backend.Postgres;
}
