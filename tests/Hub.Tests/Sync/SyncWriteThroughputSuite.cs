using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RealtimeSync.Hub.Tests.DocumentSync;
using RealtimeSync.Shared.Sync;
using RealtimeSync.Testing;
using static RealtimeSync.Hub.Tests.Sync.SyncApiSuite;

namespace RealtimeSync.Hub.Tests.Sync;

/// <summary>
/// The write path of issue 17 (sync/up in batches, the tenant counter held only at the end of a transaction):
/// concurrent writers against paging readers, a batch against the same events one by one, a batch cut by a
/// crash and retried. On SQLite and on PostgreSQL.
/// </summary>
public abstract class SyncWriteThroughputSuite : BackendSuite
{
    private static readonly JsonSerializerOptions Web = JsonSerializerOptions.Web;

    private static readonly Dictionary<string, string?> Unlimited = new()
    {
        ["Sync:RateLimits:PerClient:PermitLimit"] = "0",
        ["Sync:RateLimits:PerTenant:PermitLimit"] = "0",
    };

    [Fact]
    public async Task Eight_writers_of_one_tenant_on_two_hosts_for_ten_seconds_and_paging_readers_see_every_change_once()
    {
        var nodeA = Start(Unlimited);
        var nodeB = Start(Unlimited);
        var start = await InDbAsync(nodeA, db => db.TenantCounters.Where(c => c.TenantId == "demo").Select(c => c.LastSeq).SingleAsync());
        var documentsBefore = (await SyncTestData.TableAsync(nodeA, "demo")).Select(d => d.Id).ToHashSet();
        using var reader = Client(nodeA, subject: "reader", role: "viewer");
        using var documentReader = SyncTestData.Client(nodeB);

        // The readers start from the current end of the log and page in small pages for as long as anyone writes.
        var seen = new List<(string Id, long Seq)>();
        var cursor = ChangeCursor.Encode(start);
        var documentCursor = await DocumentCursorAtEndAsync(documentReader);
        var documentsSeen = new Dictionary<string, int>();
        var pages = 0;
        async Task<bool> ReadEntitiesAsync()
        {
            var page = await DownAsync(reader, "reader", cursor, limit: 7);
            seen.AddRange(page.Changes.Select(c => (c.EntityId, c.Seq)));
            cursor = page.Cursor;
            pages++;
            return page.HasMore;
        }

        async Task<bool> ReadDocumentsAsync()
        {
            using var response = await documentReader.GetAsync($"/api/tenants/demo/documents/sync?limit=5&cursor={documentCursor}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.False(page["reset"]!.GetValue<bool>());
            foreach (var doc in page["added"]!.AsArray().Concat(page["modified"]!.AsArray()))
            {
                var id = doc!["id"]!.GetValue<string>();
                documentsSeen[id] = documentsSeen.GetValueOrDefault(id) + 1;
            }

            documentCursor = page["cursor"]!.GetValue<string>();
            return page["hasMore"]!.GetValue<bool>();
        }

        var writing = 1;
        var readers = Task.Run(async () =>
        {
            while (Volatile.Read(ref writing) == 1)
            {
                await ReadEntitiesAsync();
                await ReadDocumentsAsync();
            }
        });

        // Eight writers, four per node: four sync clients sending batches of 10 creates, two editors creating through
        // the API, two uploading documents. All of tenant demo, all at once, for 10 s.
        var stopAt = DateTime.UtcNow.AddSeconds(10);
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var node = w % 2 == 0 ? nodeA : nodeB;
            using var http = w < 4 ? Client(node, subject: $"writer-{w}") : SyncTestData.Client(node);
            var written = 0;
            for (var round = 0; DateTime.UtcNow < stopAt; round++)
            {
                if (w < 4)
                {
                    var answer = await UpOkAsync(http, $"writer-{w}", Enumerable.Range(0, 10).Select(i => NewMember($"w{w}-{round}-{i}", $"ev-{round}-{i}")).ToArray());
                    Assert.Equal(10, answer.Acknowledged.Count);
                    written += 10;
                }
                else if (w < 6)
                {
                    var body = new JsonObject { ["id"] = $"w{w}-{round}", ["fields"] = new JsonObject { ["name"] = "Api", ["role"] = "Dev" } };
                    using var response = await http.PostAsync("/api/tenants/demo/entities/team", Json(body.ToJsonString()));
                    Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                    written++;
                }
                else
                {
                    await SyncTestData.UploadAsync(http, System.Text.Encoding.UTF8.GetBytes($"document of writer {w}, round {round}"), $"w{w}-{round}.docx");
                    written++;
                }
            }

            return written;
        })).ToList();
        var counts = await Task.WhenAll(writers);
        Volatile.Write(ref writing, 0);
        await readers;
        while (await ReadEntitiesAsync())
        {
        }

        while (await ReadDocumentsAsync())
        {
        }

        // Every committed entity change once, in sequence order; every new document once.
        var expected = await InDbAsync(nodeA, db => db.Changes.Where(c => c.TenantId == "demo" && c.Seq > start).OrderBy(c => c.Seq).Select(c => c.EntityId).ToListAsync());
        Assert.Equal(counts.Take(6).Sum(), expected.Count);
        Assert.Equal(expected, seen.Select(s => s.Id).ToList());
        var documents = (await SyncTestData.TableAsync(nodeA, "demo")).Select(d => d.Id).Where(id => !documentsBefore.Contains(id)).Order().ToList();
        Assert.Equal(counts.Skip(6).Sum(), documents.Count);
        Assert.Equal(documents, documentsSeen.Keys.Order().ToList());
        Assert.All(documentsSeen, d => Assert.True(d.Value == 1, $"{d.Key} received {d.Value} times"));
        Assert.All(counts, c => Assert.True(c > 0, "a writer wrote nothing in 10 s"));
        Assert.True(pages > 20, $"only {pages} pages: the reader did not page during the writes");
    }

    [Fact]
    public async Task A_batch_of_500_with_rejects_and_conflicts_gets_the_outcomes_of_the_same_events_applied_one_by_one()
    {
        // Two nodes on one database: A applies sync/up in batches, B one event per transaction (the path before
        // issue 17). Each works on its own copy of the same entities (ids prefixed a- and b-).
        var batched = Start(Unlimited);
        var oneByOne = Start(new Dictionary<string, string?>(Unlimited) { ["Sync:BatchUpload"] = "false" });
        var answers = new Dictionary<string, SyncUpResponse>();
        foreach (var (prefix, node) in new[] { ("a", batched), ("b", oneByOne) })
        {
            using var setup = Client(node, subject: $"setup-{prefix}");
            await UpOkAsync(setup, $"setup-{prefix}", Enumerable.Range(0, 20)
                .Select(k => Event($"old-{k}", "CREATE", $"{prefix}-old-{k}", $$"""{"name":"Grace","role":"Dev","joinDate":"2021-03-01","employeeId":"E-{{k}}"}""")).ToArray());
            using var editor = Client(node, subject: "editor-anna");
            for (var k = 0; k < 20; k++)
            {
                using var edit = await editor.PatchAsync($"/api/tenants/demo/entities/team/{prefix}-old-{k}", Json("""{"baseVersion":1,"fields":{"role":"Architect"}}"""));
                Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
            }

            using var client = Client(node, subject: $"laptop-{prefix}");
            answers[prefix] = await UpOkAsync(client, $"laptop-{prefix}", MixedBatch(prefix));
        }

        var (a, b) = (answers["a"], answers["b"]);
        Assert.True(a.Acknowledged.Count > 100 && a.Conflicts.Count > 50 && a.Rejected.Count > 100,
            $"{a.Acknowledged.Count} acknowledged, {a.Conflicts.Count} conflicts, {a.Rejected.Count} rejected: the batch does not mix outcomes");
        Assert.Equal(Normalize(b), Normalize(a));

        // The same entities and the same change log, entity by entity.
        var entities = await InDbAsync(batched, db => db.Entities.AsNoTracking().Where(e => e.TenantId == "demo" && (e.Id.StartsWith("a-") || e.Id.StartsWith("b-"))).ToListAsync());
        string Entities(string prefix) => string.Join("\n", entities.Where(e => e.Id.StartsWith(prefix + "-")).OrderBy(e => e.Id, StringComparer.Ordinal)
            .Select(e => $"{e.Id[2..]} v{e.Version} deleted={e.Deleted} {WithoutTimes(e.Fields)} {e.FieldVersions}"));
        Assert.Equal(Entities("b"), Entities("a"));
        var changes = await InDbAsync(batched, db => db.Changes.AsNoTracking().Where(c => c.TenantId == "demo" && (c.Origin == "laptop-a" || c.Origin == "laptop-b")).OrderBy(c => c.Seq).ToListAsync());
        string Changes(string origin) => string.Join("\n", changes.Where(c => c.Origin == origin).Select(c => $"{c.EntityId[2..]} {c.Operation} v{c.Version} {WithoutTimes(c.Changed)} {c.Conflicts}"));
        Assert.Equal(Changes("laptop-b"), Changes("laptop-a"));
        var conflictRows = await InDbAsync(batched, db => db.SyncConflicts.AsNoTracking().ToListAsync());
        string Conflicts(string client) => string.Join("\n", conflictRows.Where(c => c.ClientId == client).OrderBy(c => c.EventId, StringComparer.Ordinal).Select(c => $"{c.EventId} {c.Reason} {c.Operation} {c.Fields}"));
        Assert.Equal(Conflicts("laptop-b"), Conflicts("laptop-a"));
        Assert.Equal(a.Conflicts.Count, conflictRows.Count(c => c.ClientId == "laptop-a"));
    }

    [Fact]
    public async Task A_batch_cut_by_a_crash_mid_batch_and_retried_is_applied_once()
    {
        // Transactions of 20 events, so the crash lands between and inside them.
        var settings = new Dictionary<string, string?>(Unlimited) { ["Sync:UploadTransactionEvents"] = "20" };
        var node = Start(settings);
        if (Backend == Backend.Postgres)
        {
            // A slow disk: every receipt insert statement takes 50 ms more, so the whole batch takes seconds and the
            // crash below lands mid-batch (on a fast machine the batch had finished before the cut).
            await InDbAsync(node, db => db.Database.ExecuteSqlRawAsync("""
                CREATE FUNCTION slow_receipts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.05); RETURN NULL; END $$;
                CREATE TRIGGER slow_receipts AFTER INSERT ON outbox_receipts FOR EACH STATEMENT EXECUTE FUNCTION slow_receipts();
                """));
        }

        var events = Enumerable.Range(0, 2000).Select(i => NewMember($"m{i:D4}", $"ev-{i:D4}", name: $"Member {i}")).ToArray();
        using var crashing = Client(node);
        using var abort = new CancellationTokenSource();
        var first = crashing.PostAsync("/api/sync/up", Body("laptop-1", events), abort.Token);
        await Eventually.HoldsAsync(() => InDbAsync(node, db => db.OutboxReceipts.AnyAsync()), "a first receipt committed", 30);

        // The request is cut off mid-batch (the client's connection dies): the transaction in flight is rolled back.
        // (Terminating the database sessions instead is not a crash: the node may retry on a new session and finish.)
        await abort.CancelAsync();

        try
        {
            using var response = await first;
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        }
        catch (OperationCanceledException)
        {
        }

        // What stayed is whole transactions: receipts and changes of the same events, a multiple of 20.
        await Eventually.HoldsAsync(() => InDbAsync(node, db => db.SyncLog.AnyAsync(l => l.Direction == "up")), "the upload in the sync log", 30);
        var receipts = await InDbAsync(node, db => db.OutboxReceipts.CountAsync());
        Assert.InRange(receipts, 20, 1980);
        Assert.Equal(0, receipts % 20);
        Assert.Equal(receipts, await ChangeCountAsync(node, origin: "laptop-1"));

        // The client retries the whole batch on a fresh node: every event is answered as created once.
        if (Backend == Backend.Postgres)
        {
            await using var admin = new NpgsqlConnection(await InDbAsync(node, db => Task.FromResult(db.Database.GetConnectionString()!)));
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand("DROP TRIGGER slow_receipts ON outbox_receipts", admin);
            await drop.ExecuteNonQueryAsync();
        }

        var retryNode = Start(settings);
        using var client = Client(retryNode);
        var answer = await UpOkAsync(client, "laptop-1", events);
        Assert.Equal(events.Select(e => e["id"]!.GetValue<string>()), answer.Acknowledged.Select(x => x.EventId));
        Assert.All(answer.Acknowledged, x => Assert.Equal(("created", 1L), (x.Status, x.ServerVersion)));
        Assert.Equal(2000, answer.Acknowledged.Select(x => x.Seq).Distinct().Count());
        Assert.Equal(2000, await ChangeCountAsync(retryNode, origin: "laptop-1"));
        Assert.Equal(2000, await InDbAsync(retryNode, db => db.OutboxReceipts.CountAsync()));
        Assert.Equal(2000, await InDbAsync(retryNode, db => db.Entities.CountAsync(e => e.Id.StartsWith("m"))));
    }

    /// <summary>
    /// 500 events mixing every outcome: creates, updates of entities created earlier in the batch, stale updates
    /// of the same and of other fields, invalid payloads, unknown entities and types, creates of existing ids,
    /// deletes (current, stale, already deleted), updates after a delete, bad shapes and repeated event ids.
    /// </summary>
    private static JsonObject[] MixedBatch(string p)
    {
        var events = new List<JsonObject>();
        for (var i = 0; i < 500; i++)
        {
            var id = $"ev-{i:D3}";
            var decade = i - (i % 10);
            var old = $"{p}-old-{(i / 10) % 20}";
            events.Add((i % 10) switch
            {
                0 => Event(id, "CREATE", $"{p}-n{i}", """{"name":"New","role":"Dev","joinDate":"2021-03-01"}"""),
                1 => Event(id, "UPDATE", $"{p}-n{decade}", """{"role":"Lead"}""", baseVersion: 1),
                2 => Event(id, "UPDATE", old, """{"role":"Tester"}""", baseVersion: 1),
                3 => Event(id, "CREATE", $"{p}-bad{i}", """{"name":42}"""),
                4 => Event(id, "UPDATE", $"{p}-ghost{i}", """{"role":"Dev"}""", baseVersion: 1),
                5 => Event(id, "CREATE", old, """{"name":"Again","role":"Dev"}"""),
                6 => Event(id, "DELETE", $"{p}-n{decade}", baseVersion: i % 20 == 16 ? 1 : 2),
                7 => Event(id, "UPDATE", $"{p}-n{decade}", """{"name":"Late"}""", baseVersion: 2),
                8 => Event(id, "UPDATE", old, """{"name":"Renamed","employeeId":"FORGED"}""", baseVersion: 1),
                _ => i % 50 == 19 ? Event(events[i - 9]["id"]!.GetValue<string>(), "CREATE", $"{p}-dup{i}", """{"name":"Dup","role":"Dev"}""")
                    : i % 50 == 29 ? Event(id, "PATCH", $"{p}-n{decade}")
                    : i % 50 == 39 ? Event(id, "DELETE", $"{p}-n{decade}")
                    : Event(id, "CREATE", $"{p}-x{i}", "{}", type: "spaceships"),
            });
        }

        return events.ToArray();
    }

    /// <summary>The answer with entity ids, sequence numbers and timestamps taken out (they differ between copies).</summary>
    private static string Normalize(SyncUpResponse answer)
    {
        var json = JsonSerializer.SerializeToNode(answer, Web)!;
        Strip(json);
        return json.ToJsonString().Replace("\\u0027a-", "\\u0027", StringComparison.Ordinal).Replace("\\u0027b-", "\\u0027", StringComparison.Ordinal);

        static void Strip(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var name in new[] { "seq", "createdAt", "updatedAt", "createdBy", "updatedBy" })
                    {
                        o.Remove(name);
                    }

                    foreach (var name in new[] { "entityId", "id" })
                    {
                        if (o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 2 } s && s[1] == '-')
                        {
                            o[name] = s[2..];
                        }
                    }

                    foreach (var (_, child) in o.ToList())
                    {
                        Strip(child);
                    }

                    break;
                case JsonArray a:
                    foreach (var child in a)
                    {
                        Strip(child);
                    }

                    break;
            }
        }
    }

    /// <summary>A fields object without the values the server stamps with the time of the write (names ending in At).</summary>
    private static string WithoutTimes(string fields)
    {
        var o = JsonNode.Parse(fields)!.AsObject();
        foreach (var name in o.Select(p => p.Key).Where(k => k.EndsWith("At", StringComparison.Ordinal)).ToList())
        {
            o.Remove(name);
        }

        return o.ToJsonString();
    }

    private static async Task<string> DocumentCursorAtEndAsync(HttpClient http)
    {
        string? cursor = null;
        while (true)
        {
            using var response = await http.GetAsync("/api/tenants/demo/documents/sync?limit=500" + (cursor is null ? "" : $"&cursor={cursor}"));
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            cursor = page["cursor"]!.GetValue<string>();
            if (!page["hasMore"]!.GetValue<bool>())
            {
                return cursor;
            }
        }
    }

}

public sealed class SqliteSyncWriteThroughputTests : SyncWriteThroughputSuite
{
    protected override Backend Backend => Backend.Sqlite;
}

public sealed class PostgresSyncWriteThroughputTests : SyncWriteThroughputSuite
{
    protected override Backend Backend => Backend.Postgres;
}
