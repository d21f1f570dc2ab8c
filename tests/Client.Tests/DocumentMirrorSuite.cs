using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.DocumentSync;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

namespace RealtimeSync.Client.Tests;

/// <summary>The SDK's document mirror and upload against the real host, on SQLite and on PostgreSQL.</summary>
public abstract class DocumentMirrorSuite : ClientTestBase
{
    private static HttpClient Http(HubApp app, string token)
    {
        var http = new HttpClient { BaseAddress = app.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<string> UploadAsync(HttpClient http, string filename, byte[] bytes)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(bytes), "file", filename);
        using var response = await http.PostAsync("/api/tenants/demo/documents", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
    }

    private static async Task<int> PutAsync(HttpClient http, string id, int baseVersion, byte[] bytes)
    {
        using var response = await http.PutAsync($"/api/tenants/demo/documents/{id}/content?baseVersion={baseVersion}", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["version"]!;
    }

    /// <summary>The folder holds exactly the server's live documents: one file each, under its id and name, with its hash.</summary>
    private static async Task AssertMirrorsAsync(HttpClient http, string folder)
    {
        var server = (await http.GetFromJsonAsync<JsonArray>("/api/tenants/demo/documents"))!
            .Select(d => (Id: (string)d!["id"]!, Name: (string)d["filename"]!, Sha: (string)d["sha256"]!)).OrderBy(d => d.Id).ToList();
        var local = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order()
            .Select(f => (Id: Path.GetFileName(Path.GetDirectoryName(f)!), Name: Path.GetFileName(f), Sha: Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))))
            .OrderBy(d => d.Id).ToList();
        Assert.Equal(server, local);
    }

    [Fact]
    public async Task The_folder_mirrors_200_documents_then_10_changes_and_5_deletions_exactly()
    {
        var app = Start(realServer: true);
        var token = Token(app, "laptop-1");
        using var http = Http(app, token);
        var ids = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            ids.Add(await UploadAsync(http, $"doc-{i:000}.txt", Encoding.UTF8.GetBytes($"document {i}")));
        }

        var client = await OpenAsync(app.Address, token, "laptop");
        var folder = Path.Combine(Folder, "mirror");

        var first = await client.MirrorDocumentsAsync(folder);
        await AssertMirrorsAsync(http, folder);
        for (var i = 0; i < 10; i++)
        {
            await PutAsync(http, ids[i], 1, Encoding.UTF8.GetBytes($"document {i}, second edition"));
        }

        for (var i = 10; i < 15; i++)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/tenants/demo/documents/{ids[i]}")).StatusCode);
        }

        var second = await client.MirrorDocumentsAsync(folder);
        var third = await client.MirrorDocumentsAsync(folder);

        Assert.Equal(200, first.Downloaded);
        Assert.Equal((10, 5), (second.Downloaded, second.Removed));
        Assert.Equal(new MirrorResult(0, 0, 0, false, 0), third);
        await AssertMirrorsAsync(http, folder);
    }

    [Fact]
    public async Task A_corrupted_download_is_retried_and_a_download_that_stays_corrupt_is_never_placed()
    {
        var app = Start(realServer: true);
        var token = Token(app, "laptop-1");
        using var http = Http(app, token);
        var good = await UploadAsync(http, "good.txt", Encoding.UTF8.GetBytes("good bytes"));
        var corruption = new CorruptingHandler { CorruptNext = 1 };
        var client = await OpenAsync(app.Address, token, "laptop", o => o.HttpHandler = corruption);
        var folder = Path.Combine(Folder, "mirror");

        var once = await client.MirrorDocumentsAsync(folder);
        Assert.Equal((1, 1), (once.Downloaded, once.Retried));
        await AssertMirrorsAsync(http, folder);

        var bad = await UploadAsync(http, "bad.txt", Encoding.UTF8.GetBytes("bytes that never arrive intact"));
        corruption.CorruptNext = int.MaxValue;
        await Assert.ThrowsAsync<InvalidDataException>(() => client.MirrorDocumentsAsync(folder));

        Assert.False(File.Exists(Path.Combine(folder, bad, "bad.txt")));
        Assert.Empty(Directory.GetFiles(folder, ".rs-download-*", SearchOption.AllDirectories));
        Assert.Equal("good bytes", File.ReadAllText(Path.Combine(folder, good, "good.txt")));
        corruption.CorruptNext = 0;
        await client.MirrorDocumentsAsync(folder);
        await AssertMirrorsAsync(http, folder);
    }

    [Fact]
    public async Task A_cursor_older_than_the_tombstone_retention_resets_to_a_full_snapshot_that_removes_what_is_gone()
    {
        var app = Start(new() { ["Sync:TombstoneRetentionDays"] = "7" }, realServer: true);
        var token = Token(app, "laptop-1");
        using var http = Http(app, token);
        var old = await UploadAsync(http, "old.txt", Encoding.UTF8.GetBytes("old"));
        await UploadAsync(http, "kept.txt", Encoding.UTF8.GetBytes("kept"));
        var client = await OpenAsync(app.Address, token, "laptop");
        var folder = Path.Combine(Folder, "mirror");
        await client.MirrorDocumentsAsync(folder);

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/tenants/demo/documents/{old}")).StatusCode);
        await UploadAsync(http, "new.txt", Encoding.UTF8.GetBytes("new"));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            var row = await db.Documents.SingleAsync(d => d.Id == old);
            row.DeletedAt = DateTimeOffset.UtcNow.AddDays(-8); // its tombstone is past retention: the purge forgets it
            await db.SaveChangesAsync();
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<TombstonePurger>().PurgeAsync(CancellationToken.None));
        }

        var result = await client.MirrorDocumentsAsync(folder);

        Assert.True(result.Reset);
        Assert.Equal((1, 1), (result.Downloaded, result.Removed));
        await AssertMirrorsAsync(http, folder);
    }

    [Fact]
    public async Task A_local_version_goes_up_from_its_base_and_a_stale_one_gets_409()
    {
        var app = Start(realServer: true);
        var token = Token(app, "laptop-1");
        using var http = Http(app, token);
        var id = await UploadAsync(http, "plan.txt", Encoding.UTF8.GetBytes("plan v1"));
        var client = await OpenAsync(app.Address, token, "laptop");
        var folder = Path.Combine(Folder, "mirror");
        await client.MirrorDocumentsAsync(folder);
        var file = Path.Combine(folder, id, "plan.txt");

        File.WriteAllText(file, "plan v2 from the laptop");
        var uploaded = await client.UploadDocumentAsync(id, file);
        await PutAsync(http, id, 2, Encoding.UTF8.GetBytes("plan v3 from someone else"));
        File.WriteAllText(file, "plan v3 from the laptop, made on v2");
        var stale = await Assert.ThrowsAsync<SyncServerException>(() => client.UploadDocumentAsync(id, file));

        Assert.Equal(2, uploaded.Version);
        Assert.Equal((HttpStatusCode.Conflict, "baseVersion"), (stale.Status, stale.Field));
        Assert.Contains("version 3", stale.Detail);
        await client.MirrorDocumentsAsync(folder);
        Assert.Equal("plan v3 from someone else", File.ReadAllText(file));
    }

    [Fact]
    public async Task A_document_change_is_pushed_to_a_listening_client_as_documents_changes_available()
    {
        var app = Start(realServer: true);
        var token = Token(app, "laptop-1");
        using var http = Http(app, token);
        var client = await OpenAsync(app.Address, token, "laptop", o =>
        {
            o.ListenForChanges = true;
            o.SyncInterval = TimeSpan.FromHours(1);
        });
        var changed = 0;
        client.DocumentsChanged += () => Interlocked.Increment(ref changed);
        client.Start();
        var subscriptions = app.Services.GetRequiredService<RealtimeSync.Hub.Realtime.ChannelSubscriptions>();
        await EventuallyAsync(() => Task.FromResult(subscriptions.Channels.Contains("demo/sync/laptop-1")), "the client's subscription");
        await Task.Delay(1500); // the notifier's baseline reading of the tenant
        Assert.Equal(0, Volatile.Read(ref changed));

        var id = await UploadAsync(http, "new.txt", Encoding.UTF8.GetBytes("new"));
        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref changed) >= 1), "documents.changes-available");
        var folder = Path.Combine(Folder, "mirror");
        await client.MirrorDocumentsAsync(folder);

        Assert.True(File.Exists(Path.Combine(folder, id, "new.txt")));
    }

    /// <summary>Network fault injection: flips a byte of the next N document downloads on their way to the client.</summary>
    private sealed class CorruptingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public int CorruptNext { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var response = await base.SendAsync(request, ct);
            if (request.RequestUri!.AbsolutePath.EndsWith("/content", StringComparison.Ordinal) && request.Method == HttpMethod.Get && CorruptNext > 0)
            {
                CorruptNext--;
                var bytes = await response.Content.ReadAsByteArrayAsync(ct);
                bytes[0] ^= 0xFF;
                var headers = response.Content.Headers;
                response.Content = new ByteArrayContent(bytes);
                response.Content.Headers.ContentType = headers.ContentType;
            }

            return response;
        }
    }
}

public sealed class SqliteDocumentMirrorTests : DocumentMirrorSuite
{
    protected override Backend Backend => Backend.Sqlite;
}

public sealed class PostgresDocumentMirrorTests : DocumentMirrorSuite
{
    protected override Backend Backend => Backend.Postgres;
}
