using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Hub.DocumentSync;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.DocumentSync;

/// <summary>documents/sync, download-url and batch-download through the real host, on SQLite and on PostgreSQL.</summary>
public abstract class DocumentSyncSuite : BackendSuite
{
    private const string SyncPath = "/api/tenants/demo/documents/sync";

    /// <summary>What a sync client keeps: every document it was given, and how often.</summary>
    private sealed class SyncClient(HttpClient http, int limit)
    {
        public string? Cursor { get; private set; }

        public Dictionary<string, int> Received { get; } = [];

        public HashSet<string> Live { get; } = [];

        public HashSet<string> Deleted { get; } = [];

        public int Pages { get; private set; }

        /// <summary>Reads one page and applies it; returns hasMore.</summary>
        public async Task<bool> PullAsync()
        {
            var url = $"{SyncPath}?limit={limit}" + (Cursor is null ? "" : $"&cursor={Cursor}");
            using var response = await http.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.False(page["reset"]!.GetValue<bool>());
            foreach (var doc in page["added"]!.AsArray().Concat(page["modified"]!.AsArray()))
            {
                var id = doc!["id"]!.GetValue<string>();
                Received[id] = Received.GetValueOrDefault(id) + 1;
                Live.Add(id);
                Deleted.Remove(id);
            }

            foreach (var doc in page["deleted"]!.AsArray())
            {
                var id = doc!["id"]!.GetValue<string>();
                Live.Remove(id);
                Deleted.Add(id);
            }

            Cursor = page["cursor"]!.GetValue<string>();
            Pages++;
            return page["hasMore"]!.GetValue<bool>();
        }

        public async Task CatchUpAsync()
        {
            while (await PullAsync())
            {
            }
        }
    }

    private static async Task<JsonObject> GetPageAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync(SyncPath + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static List<string> Ids(JsonObject page, string list) => page[list]!.AsArray().Select(d => d!["id"]!.GetValue<string>()).ToList();

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(field, JsonNode.Parse(text)!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Writers_whose_commits_would_land_out_of_seq_order_never_make_a_paging_client_skip_or_duplicate_a_row()
    {
        // The client pages as fast as it can: far over the sync rate limit that documents/sync shares (issue 18).
        var app = Start(new() { ["Sync:RateLimits:PerClient:PermitLimit"] = "0", ["Sync:RateLimits:PerTenant:PermitLimit"] = "0" });
        using var http = SyncTestData.Client(app);
        await SyncTestData.InsertDocumentsAsync(app, "demo", 40, "base");
        var client = new SyncClient(http, limit: 3);
        using var stop = new CancellationTokenSource();

        // The client pages continuously while the writers interleave.
        var pager = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (!await client.PullAsync())
                {
                    await Task.Delay(2);
                }
            }
        });

        var written = new List<string>();
        for (var round = 0; round < 30; round++)
        {
            // Writer A takes seq N and holds its transaction open; writer B starts after it (its seq would be N+1)
            // and tries to commit first. B must wait for A: otherwise a client reading B's row would move its
            // cursor past N and never see A's row.
            await using var first = new HeldWriter(app);
            await first.WriteAsync("demo", $"a-{round:D3}");
            var secondSeq = 0L;
            var second = Task.Run(async () =>
            {
                await using var writer = new HeldWriter(app);
                await writer.WriteAsync("demo", $"b-{round:D3}");
                await writer.CommitAsync();
                secondSeq = writer.Seq;
            });
            await Task.Delay(round % 3 == 0 ? 40 : 5);
            Assert.False(second.IsCompleted, "a later writer committed while an earlier seq was still open");
            await first.CommitAsync();
            await second.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(secondSeq > first.Seq);
            written.Add($"a-{round:D3}");
            written.Add($"b-{round:D3}");
        }

        await stop.CancelAsync();
        await pager;
        await client.CatchUpAsync();

        var table = await SyncTestData.TableAsync(app, "demo");
        Assert.Equal(table.Select(r => r.Id).Order(), client.Received.Keys.Order());
        Assert.All(client.Received, r => Assert.True(r.Value == 1, $"{r.Key} received {r.Value} times"));
        Assert.Subset(client.Received.Keys.ToHashSet(), written.ToHashSet());
        Assert.True(client.Pages > 20, $"only {client.Pages} pages: the client did not page during the writes");
    }

    [Fact]
    public async Task A_full_sync_of_10000_documents_in_pages_equals_the_table()
    {
        var app = Start();
        using var http = SyncTestData.Client(app);
        await SyncTestData.InsertDocumentsAsync(app, "demo", 10_000, "bulk");

        var documents = new Dictionary<string, JsonNode>();
        string? cursor = null;
        var pages = 0;
        while (true)
        {
            var page = await GetPageAsync(http, "?limit=500" + (cursor is null ? "" : $"&cursor={cursor}"));
            Assert.Empty(page["modified"]!.AsArray()); // a snapshot lists everything as added
            Assert.Empty(page["deleted"]!.AsArray());
            foreach (var doc in page["added"]!.AsArray())
            {
                Assert.True(documents.TryAdd(doc!["id"]!.GetValue<string>(), doc.DeepClone()));
            }

            pages++;
            cursor = page["cursor"]!.GetValue<string>();
            if (!page["hasMore"]!.GetValue<bool>())
            {
                break;
            }

            Assert.Equal(500, page["added"]!.AsArray().Count);
        }

        Assert.InRange(pages, 20, 21);
        await using var scope = app.Services.CreateAsyncScope();
        var rows = await scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>().Documents.AsNoTracking().Where(d => d.TenantId == "demo").ToListAsync();
        Assert.Equal(rows.Count, documents.Count);
        foreach (var row in rows)
        {
            var doc = documents[row.Id];
            Assert.Equal(row.Filename, doc["filename"]!.GetValue<string>());
            Assert.Equal(row.Mime, doc["mime"]!.GetValue<string>());
            Assert.Equal(row.Size, doc["size"]!.GetValue<long>());
            Assert.Equal(row.Md5, doc["md5"]!.GetValue<string>());
            Assert.Equal(row.Sha256, doc["sha256"]!.GetValue<string>());
            Assert.Equal(row.CurrentVersion, doc["version"]!.GetValue<int>());
        }

        // Caught up: the same cursor again is an empty last page that keeps the cursor.
        var after = await GetPageAsync(http, $"?limit=500&cursor={cursor}");
        Assert.Empty(after["added"]!.AsArray());
        Assert.False(after["hasMore"]!.GetValue<bool>());
        Assert.Equal(cursor, after["cursor"]!.GetValue<string>());
    }

    [Fact]
    public async Task Changes_after_the_cursor_arrive_as_added_modified_and_deleted()
    {
        var app = Start();
        using var http = SyncTestData.Client(app);
        var (kept, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(2000), "kept.docx");
        var (renamed, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(2000), "old-name.docx");
        var (removed, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(2000), "removed.docx");
        var snapshot = await GetPageAsync(http, "");
        Assert.Equal([kept, renamed, removed], Ids(snapshot, "added"));
        var cursor = snapshot["cursor"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/tenants/demo/documents/{removed}")).StatusCode);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            Assert.NotNull(await scope.ServiceProvider.GetRequiredService<DocumentStore>().RenameAsync("demo", renamed, "new-name.docx", "tester"));
        }

        var (created, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(2000), "created.docx");

        var delta = await GetPageAsync(http, $"?cursor={cursor}");
        Assert.Equal([created], Ids(delta, "added"));
        Assert.Equal([renamed], Ids(delta, "modified"));
        Assert.Equal("new-name.docx", delta["modified"]![0]!["filename"]!.GetValue<string>());
        Assert.Equal([removed], Ids(delta, "deleted"));
        Assert.NotNull(delta["deleted"]![0]!["deletedAt"]);

        // Without tombstones the delete is left out, but the cursor still moves past it.
        var live = await GetPageAsync(http, $"?cursor={cursor}&includeDeleted=false");
        Assert.Empty(live["deleted"]!.AsArray());
        Assert.Equal([renamed, created], Ids(live, "modified").Concat(Ids(live, "added")));

        // A fresh snapshot has no tombstones unless asked for them.
        Assert.DoesNotContain(removed, Ids(await GetPageAsync(http, ""), "added"));
        Assert.Equal([removed], Ids(await GetPageAsync(http, "?includeDeleted=true"), "deleted"));
    }

    [Fact]
    public async Task A_cursor_older_than_the_tombstone_retention_gets_reset_and_the_purge_removes_rows_and_blobs()
    {
        var app = Start(new() { ["Sync:TombstoneRetentionDays"] = "7" });
        using var http = SyncTestData.Client(app);
        var (old, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(1000), "old.docx");
        var (recent, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(1000), "recent.docx");
        var staleCursor = (await GetPageAsync(http, ""))["cursor"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/tenants/demo/documents/{old}")).StatusCode);
        var afterOldDelete = (await GetPageAsync(http, $"?cursor={staleCursor}"))["cursor"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/tenants/demo/documents/{recent}")).StatusCode);

        string blobKey;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            blobKey = (await db.DocumentVersions.SingleAsync(v => v.DocumentId == old)).BlobKey;
            var row = await db.Documents.SingleAsync(d => d.Id == old);
            row.DeletedAt = DateTimeOffset.UtcNow.AddDays(-8); // deleted 8 days ago; `recent` was deleted just now
            await db.SaveChangesAsync();
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<TombstonePurger>().PurgeAsync(CancellationToken.None));
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<TombstonePurger>().PurgeAsync(CancellationToken.None)); // idempotent
            Assert.False(await db.Documents.AnyAsync(d => d.Id == old));
            Assert.False(await db.DocumentVersions.AnyAsync(v => v.DocumentId == old));
            Assert.True(await db.Documents.AnyAsync(d => d.Id == recent && d.Deleted));
        }

        Assert.Null(await app.Services.GetRequiredService<IBlobStore>().HeadAsync(blobKey));

        // The stale cursor could have missed the purged tombstone: reset.
        var reset = await GetPageAsync(http, $"?cursor={staleCursor}");
        Assert.True(reset["reset"]!.GetValue<bool>());
        Assert.Empty(reset["added"]!.AsArray());
        Assert.Null(reset["cursor"]);

        // A cursor past the purged tombstone continues, and sees the tombstone still within retention.
        var continued = await GetPageAsync(http, $"?cursor={afterOldDelete}");
        Assert.False(continued["reset"]!.GetValue<bool>());
        Assert.Equal([recent], Ids(continued, "deleted"));

        // So does a new snapshot, which no longer has the purged document at all.
        var snapshot = await GetPageAsync(http, "?includeDeleted=true");
        Assert.False(snapshot["reset"]!.GetValue<bool>());
        Assert.Equal([recent], Ids(snapshot, "deleted"));
    }

    [Fact]
    public async Task The_cleanup_job_purges_on_its_interval_by_the_injected_clock()
    {
        var app = Start(new() { ["Sync:TombstoneRetentionDays"] = "7", ["Sync:TombstonePurgeIntervalMinutes"] = "60" });
        using var http = SyncTestData.Client(app);
        var (id, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(100));
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/tenants/demo/documents/{id}")).StatusCode);

        // A second node on the same database whose clock the test moves.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var node = app.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        _ = node.Services;
        async Task<bool> TombstoneExistsAsync()
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>().Documents.AnyAsync(d => d.Id == id);
        }

        await Task.Delay(1000); // the job's first pass ran at start-up: within retention, nothing to purge
        Assert.True(await TombstoneExistsAsync());
        clock.Advance(TimeSpan.FromDays(8));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await TombstoneExistsAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not purge after its interval");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Two_nodes_purging_at_once_remove_each_tombstone_once_and_agree_on_the_horizon()
    {
        var settings = new Dictionary<string, string?> { ["Sync:TombstoneRetentionDays"] = "1", ["Sync:TombstonePurgeBatchSize"] = "7" };
        var nodes = new[] { Start(settings), Start(settings) };
        var ids = await SyncTestData.InsertDocumentsAsync(nodes[0], "demo", 60, "gone");
        long lastSeq;
        await using (var scope = nodes[0].Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            foreach (var id in ids.Take(50))
            {
                await scope.ServiceProvider.GetRequiredService<DocumentStore>().DeleteAsync("demo", id, "tester");
            }

            lastSeq = await db.Documents.Where(d => d.Deleted).MaxAsync(d => d.Seq);
            await db.Documents.Where(d => d.Deleted).ExecuteUpdateAsync(u => u.SetProperty(d => d.DeletedAt, DateTimeOffset.UtcNow.AddDays(-2)));
        }

        // Four passes at once, two per node, in batches of 7: they race over the same tombstones.
        var passes = Enumerable.Range(0, 4).Select(async i =>
        {
            await using var scope = nodes[i % 2].Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TombstonePurger>().PurgeAsync(CancellationToken.None);
        }).ToList();
        await Task.WhenAll(passes);

        var table = await SyncTestData.TableAsync(nodes[0], "demo");
        Assert.Equal(ids.Skip(50).Order(), table.Where(r => r.Id.StartsWith("gone-", StringComparison.Ordinal)).Select(r => r.Id).Order());
        await using (var scope = nodes[1].Services.CreateAsyncScope())
        {
            Assert.Equal(lastSeq, await scope.ServiceProvider.GetRequiredService<DocumentSyncReader>().PurgedThroughAsync("demo", CancellationToken.None));
        }
    }

    [Fact]
    public async Task An_unchanged_page_answers_304_to_its_etag_and_a_change_gives_a_new_etag()
    {
        var app = Start();
        using var http = SyncTestData.Client(app);
        await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(500));
        using var first = await http.GetAsync(SyncPath + "?limit=10");
        var etag = first.Headers.ETag!;
        Assert.True(etag.IsWeak);
        var cursor = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["cursor"]!.GetValue<string>();

        using var again = new HttpRequestMessage(HttpMethod.Get, SyncPath + "?limit=10");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(etag, notModified.Headers.ETag);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        // The caught-up cursor: unchanged → 304; after a new document → 200 with that document.
        using var tail = await http.GetAsync(SyncPath + $"?limit=10&cursor={cursor}");
        var tailTag = tail.Headers.ETag!;
        using var tailAgain = new HttpRequestMessage(HttpMethod.Get, SyncPath + $"?limit=10&cursor={cursor}");
        tailAgain.Headers.IfNoneMatch.Add(tailTag);
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(tailAgain)).StatusCode);

        var (created, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(500));
        using var changed = new HttpRequestMessage(HttpMethod.Get, SyncPath + $"?limit=10&cursor={cursor}");
        changed.Headers.IfNoneMatch.Add(tailTag);
        using var fresh = await http.SendAsync(changed);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.NotEqual(tailTag, fresh.Headers.ETag);
        Assert.Equal([created], Ids(JsonNode.Parse(await fresh.Content.ReadAsStringAsync())!.AsObject(), "added"));
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    public async Task Sync_pages_are_compressed_with_the_negotiated_encoding_and_download_links_are_not(string encoding)
    {
        var app = Start();
        using var http = SyncTestData.Client(app);
        await SyncTestData.InsertDocumentsAsync(app, "demo", 200, "zip");
        var plain = await (await http.GetAsync(SyncPath + "?limit=200")).Content.ReadAsStringAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, SyncPath + "?limit=200");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([encoding], response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        var compressed = await response.Content.ReadAsByteArrayAsync();
        await using Stream decoder = encoding == "br"
            ? new BrotliStream(new MemoryStream(compressed), CompressionMode.Decompress)
            : new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        var text = await new StreamReader(decoder, Encoding.UTF8).ReadToEndAsync();
        Assert.Equal(plain, text);
        Assert.True(compressed.Length * 3 < Encoding.UTF8.GetByteCount(plain), $"{compressed.Length} compressed vs {plain.Length}");

        // A download link is a bearer secret: never compressed (BREACH).
        var (id, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(100));
        using var link = new HttpRequestMessage(HttpMethod.Get, $"/api/tenants/demo/documents/{id}/download-url");
        link.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        using var linkResponse = await http.SendAsync(link);
        Assert.Equal(HttpStatusCode.OK, linkResponse.StatusCode);
        Assert.Empty(linkResponse.Content.Headers.ContentEncoding);
    }

    [Fact]
    public async Task Download_url_points_at_the_committed_bytes_with_their_hashes_and_bounded_expiry()
    {
        var app = Start(new() { ["Sync:DownloadUrlMaxExpirySeconds"] = "600" });
        using var http = SyncTestData.Client(app, role: "viewer");
        using var editor = SyncTestData.Client(app);
        var bytes = RandomNumberGenerator.GetBytes(50_000);
        var (id, sha) = await SyncTestData.UploadAsync(editor, bytes, "plan.xlsx");

        var before = DateTimeOffset.UtcNow;
        using var response = await http.GetAsync($"/api/tenants/demo/documents/{id}/download-url?expiresIn=120");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(sha, body["sha256"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), body["md5"]!.GetValue<string>());
        Assert.Equal(bytes.Length, body["size"]!.GetValue<long>());
        Assert.Equal(1, body["version"]!.GetValue<int>());
        Assert.Equal("plan.xlsx", body["filename"]!.GetValue<string>());
        Assert.InRange(body["expiresAt"]!.GetValue<DateTimeOffset>(), before.AddSeconds(119), DateTimeOffset.UtcNow.AddSeconds(121));

        // The link works without the bearer token and serves exactly the committed bytes.
        using var anonymous = app.CreateClient();
        var url = new Uri(body["url"]!.GetValue<string>());
        Assert.True(url.IsAbsoluteUri);
        var downloaded = await anonymous.GetByteArrayAsync(url.PathAndQuery);
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(downloaded)));
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(url.PathAndQuery.Replace("sig=", "sig=0", StringComparison.Ordinal))).StatusCode);

        foreach (var bad in new[] { "9", "601", "-5", "soon", "1e3" })
        {
            await AssertProblemAsync(await http.GetAsync($"/api/tenants/demo/documents/{id}/download-url?expiresIn={bad}"), HttpStatusCode.BadRequest, "expiresIn");
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/tenants/demo/documents/{id}/download-url?expiresIn=600")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await editor.DeleteAsync($"/api/tenants/demo/documents/{id}")).StatusCode);
        await AssertProblemAsync(await http.GetAsync($"/api/tenants/demo/documents/{id}/download-url"), HttpStatusCode.NotFound, "id");
    }

    [Fact]
    public async Task On_s3_download_url_and_batch_download_serve_the_bucket_objects()
    {
        var app = Start(TestServers.S3Settings());
        Assert.Equal("s3", app.Services.GetRequiredService<IBlobStore>().Kind);
        using var http = SyncTestData.Client(app);
        var bytes = RandomNumberGenerator.GetBytes(120_000);
        var (id, sha) = await SyncTestData.UploadAsync(http, bytes, "s3.pdf");

        var link = JsonNode.Parse(await http.GetStringAsync($"/api/tenants/demo/documents/{id}/download-url?expiresIn=60"))!;
        var url = new Uri(link["url"]!.GetValue<string>());
        Assert.Equal(new Uri(TestServers.S3Url).Port, url.Port); // straight from the bucket, not through the hub
        using var anonymous = new HttpClient();
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(await anonymous.GetByteArrayAsync(url))));

        using var zipResponse = await http.PostAsync("/api/tenants/demo/documents/batch-download",
            new StringContent($$"""{"documentIds":["{{id}}"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, zipResponse.StatusCode);
        await using var zip = new ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        await using var entry = zip.GetEntry($"{id}/s3.pdf")!.Open();
        var copy = new MemoryStream();
        await entry.CopyToAsync(copy);
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(copy.ToArray())));
    }

    [Fact]
    public async Task Batch_download_streams_a_zip_whose_entries_equal_the_committed_blobs()
    {
        var app = Start();
        using var http = SyncTestData.Client(app);
        var files = new[] { RandomNumberGenerator.GetBytes(300_000), RandomNumberGenerator.GetBytes(1), RandomNumberGenerator.GetBytes(70_000) };
        var uploaded = new List<(string Id, string Sha)>();
        for (var i = 0; i < files.Length; i++)
        {
            uploaded.Add(await SyncTestData.UploadAsync(http, files[i], $"file-{i}.docx"));
        }

        var ids = uploaded.Select(u => u.Id).ToList();
        using var response = await http.PostAsync("/api/tenants/demo/documents/batch-download",
            new StringContent(new JsonObject { ["documentIds"] = new JsonArray(ids.Concat([ids[0]]).Select(i => (JsonNode)i!).ToArray()) }.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType!.MediaType);

        await using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        Assert.Equal(4, zip.Entries.Count); // the duplicate id is sent once
        var manifest = JsonNode.Parse(await new StreamReader(zip.GetEntry(BatchDownload.ManifestName)!.Open()).ReadToEndAsync())!.AsArray();
        Assert.Equal(ids, manifest.Select(m => m!["id"]!.GetValue<string>()));
        for (var i = 0; i < files.Length; i++)
        {
            var entry = zip.GetEntry($"{ids[i]}/file-{i}.docx")!;
            await using var stream = entry.Open();
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(uploaded[i].Sha, Convert.ToHexStringLower(SHA256.HashData(copy.ToArray())));
            Assert.Equal(uploaded[i].Sha, manifest[i]!["sha256"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Another_tenants_documents_are_404_everywhere_and_never_listed()
    {
        var app = Start();
        await SyncTestData.AddTenantAsync(app, "acme");
        using var demo = SyncTestData.Client(app);
        using var acme = SyncTestData.Client(app, tenant: "acme");
        var (mine, _) = await SyncTestData.UploadAsync(demo, RandomNumberGenerator.GetBytes(100));
        var (theirs, _) = await SyncTestData.UploadAsync(acme, RandomNumberGenerator.GetBytes(100), tenant: "acme");

        var page = await GetPageAsync(demo, "?includeDeleted=true");
        Assert.Equal([mine], Ids(page, "added"));
        await AssertProblemAsync(await demo.GetAsync($"/api/tenants/demo/documents/{theirs}/download-url"), HttpStatusCode.NotFound, "id");
        await AssertProblemAsync(await demo.GetAsync("/api/tenants/acme/documents/sync"), HttpStatusCode.Forbidden, "tenant");
        await AssertProblemAsync(await demo.GetAsync($"/api/tenants/acme/documents/{theirs}/download-url"), HttpStatusCode.Forbidden, "tenant");

        using var batch = await demo.PostAsync("/api/tenants/demo/documents/batch-download",
            new StringContent($$"""{"documentIds":["{{mine}}","{{theirs}}","nope"]}""", Encoding.UTF8, "application/json"));
        var text = await batch.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, batch.StatusCode);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("documentIds", problem["field"]!.GetValue<string>());
        Assert.Equal([theirs, "nope"], problem["missing"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.DoesNotContain("acme", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_gets_problem_details_naming_the_field()
    {
        var app = Start(new() { ["Sync:BatchDownloadMaxDocuments"] = "2", ["Sync:BatchDownloadMaxBytes"] = "1000" });
        using var http = SyncTestData.Client(app);
        var (small, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(600));
        var (other, _) = await SyncTestData.UploadAsync(http, RandomNumberGenerator.GetBytes(600));

        foreach (var query in new[] { "?limit=0", "?limit=501", "?limit=ten", "?limit=-1", "?limit=2.5" })
        {
            await AssertProblemAsync(await http.GetAsync(SyncPath + query), HttpStatusCode.BadRequest, "limit");
        }

        var forged = Convert.ToBase64String(Encoding.UTF8.GetBytes("d1:5")).TrimEnd('=');
        foreach (var cursor in new[] { "garbage!", "YWJj", forged, new string('A', 600), "ZDE6LTE6eA" })
        {
            await AssertProblemAsync(await http.GetAsync(SyncPath + "?cursor=" + Uri.EscapeDataString(cursor)), HttpStatusCode.BadRequest, "cursor");
        }

        await AssertProblemAsync(await http.GetAsync(SyncPath + "?includeDeleted=maybe"), HttpStatusCode.BadRequest, "includeDeleted");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(SyncPath + "?limit=500")).StatusCode);

        const string BatchPath = "/api/tenants/demo/documents/batch-download";
        StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
        await AssertProblemAsync(await http.PostAsync(BatchPath, Json("{\"documentIds\": [")), HttpStatusCode.BadRequest, "body");
        await AssertProblemAsync(await http.PostAsync(BatchPath, new StringContent("documentIds=x", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, "body");
        await AssertProblemAsync(await http.PostAsync(BatchPath, Json("{}")), HttpStatusCode.BadRequest, "documentIds");
        await AssertProblemAsync(await http.PostAsync(BatchPath, Json("[\"a\"]")), HttpStatusCode.BadRequest, "documentIds");
        await AssertProblemAsync(await http.PostAsync(BatchPath, Json("{\"documentIds\": \"a\"}")), HttpStatusCode.BadRequest, "documentIds");
        await AssertProblemAsync(await http.PostAsync(BatchPath, Json("{\"documentIds\": [1, 2]}")), HttpStatusCode.BadRequest, "documentIds");
        await AssertProblemAsync(await http.PostAsync(BatchPath, Json("{\"documentIds\": []}")), HttpStatusCode.BadRequest, "documentIds");
        await AssertProblemAsync(await http.PostAsync(BatchPath, Json("{\"documentIds\": [\"a\",\"b\",\"c\"]}")), HttpStatusCode.BadRequest, "documentIds");
        await AssertProblemAsync(await http.PostAsync(BatchPath, Json($$"""{"documentIds": ["{{small}}","{{other}}"]}""")), HttpStatusCode.RequestEntityTooLarge, "documentIds");
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(BatchPath, Json($$"""{"documentIds": ["{{small}}"]}"""))).StatusCode);
    }
}

public sealed class SqliteDocumentSyncTests : DocumentSyncSuite
{
    protected override Backend Backend => Backend.Sqlite;
}

public sealed class PostgresDocumentSyncTests : DocumentSyncSuite
{
    protected override Backend Backend => Backend.Postgres;
}
