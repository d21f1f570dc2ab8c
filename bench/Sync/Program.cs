using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Shared.Sync;
using RealtimeSync.SyncBench;
using RealtimeSync.Testing;

// Sync benchmark on PostgreSQL (bench/README.md):
//  1. sync/down page latency (limit 500) for a tenant with 10k changes and one with 1M changes, cursors spread
//     over the whole log; the 1M/10k ratio of p50 and p99 shows whether the cost follows the page or the table.
//  2. sync/up throughput: 4 clients at once, batches of 100 CREATE events, events/s: the batch path, the one-by-one
//     path of before issue 17 (a second node on the same database with Sync:BatchUpload=false) and a raw baseline
//     (the same rows with multi-row INSERTs over Npgsql, one transaction per batch), with CPU and machine load.
//  3. API edits: 16 concurrent editors PATCHing distinct entities of one tenant for 10 s, PATCH/s and p99: first on
//     the second node with Entities:OneStatementEdits=false (every edit a row-locking transaction), then on the
//     first (an edit is one conditional statement on PostgreSQL); then with each editor's PATCHes alternating between
//     the first node and a third one (one statement too): every edit finds the row it kept from its last write stale
//     (the other node wrote since), so it pays a failed statement and a read — the multi-node cost of kept rows —
//     and the same on two nodes that keep no rows (Entities:CachedRows=0).
//  4. the client SDK (src/Client): initial pull of 100k entities into an empty SQLite store and push of 10k events
//     written offline, each beside a bare HTTP client doing the same sync/down pages / sync/up batches (ClientPhases.cs).
// The change logs are inserted with generate_series (not through the API); the host runs in-process.
// --only client runs phase 4 alone (after starting the host); --only up runs phase 2's batch path and raw baseline;
// --only edits runs phase 3 alone.
var pages = Arg("--pages", 300);
var batches = Arg("--batches", 50);
var clients = Arg("--clients", 4);
var bigChanges = Arg("--big", 1_000_000);
var editors = Arg("--editors", 16);
var editSeconds = Arg("--edit-seconds", 10);
var pullEntities = Arg("--pull", 100_000);
var pushEvents = Arg("--push", 10_000);
var only = Array.IndexOf(args, "--only") is var o && o >= 0 && o + 1 < args.Length ? args[o + 1] : null;
var onlyClient = only == "client";

Directory.SetCurrentDirectory(AppContext.BaseDirectory); // WebApplicationFactory finds the Hub's manifest here
await using var database = await TestServers.CreatePostgresDatabaseAsync();
await using var app = new HubApp(new Dictionary<string, string?>
{
    ["ConnectionStrings:Postgres"] = database.ConnectionString,
    ["Serilog:MinimumLevel"] = "Warning",
    ["environment"] = "Production",
    ["Sync:RateLimits:PerClient:PermitLimit"] = "0",
    ["Sync:RateLimits:PerTenant:PermitLimit"] = "0",
    ["Sync:MaxPageSize"] = "500",
});
_ = app.Services; // starts the host: migrations and seed
await using var oneByOneApp = new HubApp(new Dictionary<string, string?>
{
    ["ConnectionStrings:Postgres"] = database.ConnectionString,
    ["Serilog:MinimumLevel"] = "Warning",
    ["environment"] = "Production",
    ["Sync:RateLimits:PerClient:PermitLimit"] = "0",
    ["Sync:RateLimits:PerTenant:PermitLimit"] = "0",
    ["Sync:BatchUpload"] = "false",
    ["Entities:OneStatementEdits"] = "false",
});
_ = oneByOneApp.Services;
await using var otherNode = new HubApp(new Dictionary<string, string?>
{
    ["ConnectionStrings:Postgres"] = database.ConnectionString,
    ["Serilog:MinimumLevel"] = "Warning",
    ["environment"] = "Production",
});
_ = otherNode.Services;
// Two more nodes that keep no rows (Entities:CachedRows=0): what alternating editors would cost without kept rows.
var uncached = new Dictionary<string, string?>
{
    ["ConnectionStrings:Postgres"] = database.ConnectionString,
    ["Serilog:MinimumLevel"] = "Warning",
    ["environment"] = "Production",
    ["Entities:CachedRows"] = "0",
};
await using var uncachedA = new HubApp(uncached);
await using var uncachedB = new HubApp(uncached);
_ = uncachedA.Services;
_ = uncachedB.Services;

if (only == "edits")
{
    // Phase 3 alone, after a warm-up round on each node.
    await EditsAsync([oneByOneApp], "warm-locked");
    await EditsAsync([app, otherNode], "warm-statement");
    await EditsAsync([uncachedA, uncachedB], "warm-uncached");
    PrintEdits(await Measured(() => EditsAsync([oneByOneApp], "locked")), await Measured(() => EditsAsync([app], "statement")),
        await Measured(() => EditsAsync([app, otherNode], "alternating")), await Measured(() => EditsAsync([uncachedA, uncachedB], "alternating-uncached")));
    return 0;
}

if (only == "up")
{
    // Phase 2 alone (batch path, then the raw baseline), e.g. to profile the server with dotnet-trace meanwhile. A
    // first round warms the JIT up (a cold process spends much of its CPU in tiered compilation).
    await UpThroughputAsync(app, "warm-up");
    var upOnly = await Measured(() => UpThroughputAsync(app, "batch"));
    var rawOnly = await Measured(() => RawThroughputAsync(database.ConnectionString));
    Console.WriteLine($"batch path {upOnly.Result.Events / upOnly.Result.Seconds:F0} events/s ({upOnly.Cores:F2} cores, machine {upOnly.Busy:F0} %), " +
                      $"raw {rawOnly.Result.Events / rawOnly.Result.Seconds:F0} events/s ({rawOnly.Cores:F2} cores, machine {rawOnly.Busy:F0} %): " +
                      $"{100 * (upOnly.Result.Events / upOnly.Result.Seconds) / (rawOnly.Result.Events / rawOnly.Result.Seconds):F0} %");
    return 0;
}

// 4. Client SDK vs bare HTTP, first (before the 1M seed), bare first in each pair.
Console.WriteLine($"Seeding: tenant b100k with {pullEntities:N0} entities (one CREATE change each)...");
await ClientPhases.SeedPullTenantAsync(database.ConnectionString, "b100k", pullEntities);
var clientFolder = Path.Combine(Path.GetTempPath(), "rs-sync-bench", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(clientFolder);
var pageSize = ClientPhases.Defaults.PullPageSize;
var pushBatch = ClientPhases.Defaults.PushBatchSize;
Console.WriteLine($"Client phases: bare sync/down then SDK PullAsync of {pullEntities:N0} entities (pages of {pageSize}); bare sync/up then SDK PushAsync of {pushEvents:N0} events (batches of {pushBatch})...");
var barePull = await Measured(async () =>
{
    using var http = Client("b100k", "bench-bare-pull");
    return await ClientPhases.BarePullAsync(http, "bench-bare-pull", pageSize, pullEntities);
});
var sdkPull = await Measured(() => ClientPhases.SdkPullAsync(app, Token("b100k", "bench-sdk-pull"), Path.Combine(clientFolder, "pull.db"), pullEntities));
var barePush = await Measured(async () =>
{
    using var http = Client("demo", "bench-bare-push");
    return await ClientPhases.BarePushAsync(http, database.ConnectionString, "demo", "bench-bare-push", pushEvents, pushBatch);
});
Throughput sdkWriteResult;
(Throughput Result, double Cores, double Busy) sdkWrites, sdkPush;
await using (var pushClient = await ClientPhases.OpenAsync(app, Token("demo", "bench-sdk-push"), Path.Combine(clientFolder, "push.db")))
{
    sdkWrites = await Measured(() => ClientPhases.WriteOfflineAsync(pushClient, pushEvents));
    sdkWriteResult = sdkWrites.Result;
    sdkPush = await Measured(() => ClientPhases.SdkPushAsync(pushClient, database.ConnectionString, "demo", pushEvents));
}

Directory.Delete(clientFolder, recursive: true);

Console.WriteLine();
Console.WriteLine("| client SDK vs bare HTTP, same run | items | requests | s | items/s | SDK / bare | bench process CPU s | process cores | machine busy % | verified |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
ClientRow($"bare sync/down, pages of {pageSize} (server side)", barePull, barePull.Result);
ClientRow("SDK PullAsync into an empty store", sdkPull, barePull.Result);
ClientRow($"bare sync/up, batches of {pushBatch} (server side)", barePush, barePush.Result);
ClientRow("SDK PushAsync of the offline outbox", sdkPush, barePush.Result);
Console.WriteLine($"(before the push, the SDK client made its {pushEvents:N0} offline CreateAsync writes in {sdkWriteResult.Seconds:F1} s = {sdkWriteResult.PerSecond:F0} writes/s, bench process {sdkWrites.Cores:F2} cores, machine {sdkWrites.Busy:F0} % busy; not part of the push figure)");
var clientJson = new
{
    pullEntities,
    pushEvents,
    pageSize,
    pushBatch,
    barePull = ClientJson(barePull),
    sdkPull = ClientJson(sdkPull),
    pullRatio = sdkPull.Result.PerSecond / barePull.Result.PerSecond,
    barePush = ClientJson(barePush),
    sdkPush = ClientJson(sdkPush),
    pushRatio = sdkPush.Result.PerSecond / barePush.Result.PerSecond,
    sdkOfflineWrites = ClientJson(sdkWrites),
};

var resultsFolder = Path.Combine(RepositoryRoot(), "bench", "results");
Directory.CreateDirectory(resultsFolder);
var file = Path.Combine(resultsFolder, $"sync-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
if (onlyClient)
{
    await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { at = DateTimeOffset.UtcNow, client = clientJson }, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"JSON: {file}");
    return 0;
}

Console.WriteLine($"Seeding: tenant b10k with 10,000 changes, tenant b1m with {bigChanges:N0} changes (10,000 entities each)...");
var seeding = Stopwatch.StartNew();
await SeedAsync(database.ConnectionString, "b10k", 10_000);
await SeedAsync(database.ConnectionString, "b1m", bigChanges);
Console.WriteLine($"  seeded in {seeding.Elapsed.TotalSeconds:F1} s");

var plan = await ExplainAsync(database.ConnectionString, "b1m", bigChanges / 2);
Console.WriteLine("Plan of the page query at the middle of the 1M log:");
Console.WriteLine(string.Join('\n', plan.Select(l => "    " + l)));

var small = await DownLatencyAsync("b10k", 10_000);
var big = await DownLatencyAsync("b1m", bigChanges);
var up = await Measured(() => UpThroughputAsync(app, "batch"));
var upBefore = await Measured(() => UpThroughputAsync(oneByOneApp, "one"));
var raw = await Measured(() => RawThroughputAsync(database.ConnectionString));
var editsBefore = await Measured(() => EditsAsync([oneByOneApp], "locked"));
var edits = await Measured(() => EditsAsync([app], "statement"));
var editsAlternating = await Measured(() => EditsAsync([app, otherNode], "alternating"));
var editsAlternatingUncached = await Measured(() => EditsAsync([uncachedA, uncachedB], "alternating-uncached"));

Console.WriteLine();
Console.WriteLine("| sync/down, limit 500 | pages | p50 ms | p99 ms | max ms |");
Console.WriteLine("|---|---|---|---|---|");
Console.WriteLine($"| 10k changes | {small.Count} | {P(small, 50):F2} | {P(small, 99):F2} | {small.Max():F2} |");
Console.WriteLine($"| {bigChanges / 1000:N0}k changes | {big.Count} | {P(big, 50):F2} | {P(big, 99):F2} | {big.Max():F2} |");
Console.WriteLine($"| ratio big/small | | {P(big, 50) / P(small, 50):F2} | {P(big, 99) / P(small, 99):F2} | |");
Console.WriteLine();
Console.WriteLine($"| sync/up, {clients} clients x batches of 100 | events | s | events/s | batch p50 ms | batch p99 ms | bench process cores | machine busy % |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");
foreach (var (name, run) in new[] { ("batch path (one transaction per batch)", up), ("one by one (Sync:BatchUpload=false, before)", upBefore), ("raw multi-row INSERTs (baseline)", raw) })
{
    var r = run.Result;
    Console.WriteLine($"| {name} | {r.Events:N0} | {r.Seconds:F2} | {r.Events / r.Seconds:F0} | {r.BatchP50:F1} | {r.BatchP99:F1} | {run.Cores:F2} | {run.Busy:F0} |");
}

Console.WriteLine($"batch path = {100 * (up.Result.Events / up.Result.Seconds) / (raw.Result.Events / raw.Result.Seconds):F0} % of the raw baseline; {(up.Result.Events / up.Result.Seconds) / (upBefore.Result.Events / upBefore.Result.Seconds):F1} x the one-by-one path");
Console.WriteLine();
PrintEdits(editsBefore, edits, editsAlternating, editsAlternatingUncached);

await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
{
    at = DateTimeOffset.UtcNow,
    down = new
    {
        small = new { changes = 10_000, pages = small.Count, p50 = P(small, 50), p99 = P(small, 99), max = small.Max() },
        big = new { changes = bigChanges, pages = big.Count, p50 = P(big, 50), p99 = P(big, 99), max = big.Max() },
        ratioP50 = P(big, 50) / P(small, 50),
        ratioP99 = P(big, 99) / P(small, 99),
        plan,
    },
    up = new
    {
        clients,
        batchSize = 100,
        batch = Json(up),
        oneByOne = Json(upBefore),
        raw = Json(raw),
        percentOfRaw = 100 * (up.Result.Events / up.Result.Seconds) / (raw.Result.Events / raw.Result.Seconds),
    },
    client = clientJson,
    edits = new { editors, edits.Result.Count, edits.Result.Seconds, perSecond = edits.Result.Count / edits.Result.Seconds, edits.Result.P50, edits.Result.P99, edits.Cores, edits.Busy },
    editsBefore = new { editors, editsBefore.Result.Count, editsBefore.Result.Seconds, perSecond = editsBefore.Result.Count / editsBefore.Result.Seconds, editsBefore.Result.P50, editsBefore.Result.P99, editsBefore.Cores, editsBefore.Busy },
    editsAlternating = EditJson(editsAlternating),
    editsAlternatingUncached = EditJson(editsAlternatingUncached),
}, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"JSON: {file}");
return 0;

// Pages at cursors spread evenly (shuffled) over the whole log, after a warm-up; one client at a time.
async Task<List<double>> DownLatencyAsync(string tenant, int changes)
{
    using var http = Client(tenant, "bench-reader");
    var random = new Random(42);
    var cursors = Enumerable.Range(0, pages).Select(i => (long)((changes - 500) * (i / (double)pages))).OrderBy(_ => random.Next()).ToList();
    foreach (var warm in cursors.Take(30))
    {
        await DownAsync(http, warm);
    }

    var timings = new List<double>();
    foreach (var cursor in cursors)
    {
        var started = Stopwatch.GetTimestamp();
        var count = await DownAsync(http, cursor);
        timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (count != 500)
        {
            throw new InvalidOperationException($"{tenant}: page at {cursor} had {count} changes, not 500");
        }
    }

    return timings;
}

async Task<int> DownAsync(HttpClient http, long cursor)
{
    var body = new JsonObject { ["clientId"] = "bench-reader", ["cursor"] = ChangeCursor.Encode(cursor), ["limit"] = 500 };
    using var response = await http.PostAsync("/api/sync/down", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
    response.EnsureSuccessStatusCode();
    var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    return page["changes"]!.AsArray().Count;
}

void ClientRow(string name, (Throughput Result, double Cores, double Busy) run, Throughput bare)
{
    var r = run.Result;
    Console.WriteLine($"| {name} | {r.Items:N0} | {r.Requests:N0} | {r.Seconds:F2} | {r.PerSecond:F0} | {r.PerSecond / bare.PerSecond:F2} | {run.Cores * r.Seconds:F1} | {run.Cores:F2} | {run.Busy:F0} | {r.Verified} |");
}

static object ClientJson((Throughput Result, double Cores, double Busy) run) => new
{
    run.Result.Items, run.Result.Requests, run.Result.Seconds, perSecond = run.Result.PerSecond, processCores = run.Cores, machineBusyPercent = run.Busy, run.Result.Verified,
};

string Token(string tenant, string subject) => app.Services.GetRequiredService<TokenIssuer>().Issue(tenant, subject, ["editor"], TimeSpan.FromHours(1));

object Json((UpRun Result, double Cores, double Busy) run) => new
{
    run.Result.Events, run.Result.Seconds, eventsPerSecond = run.Result.Events / run.Result.Seconds, run.Result.BatchP50, run.Result.BatchP99, processCores = run.Cores, machineBusyPercent = run.Busy,
};

async Task<UpRun> UpThroughputAsync(HubApp node, string label)
{
    var batchTimes = new List<double>();
    var total = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
    {
        using var http = Client("demo", $"bench-up-{label}-{c}", node);
        for (var b = 0; b < batches; b++)
        {
            var events = new JsonArray(Enumerable.Range(0, 100).Select(i => (JsonNode)new JsonObject
            {
                ["id"] = $"c{c}-b{b}-e{i}",
                ["tenantId"] = "demo",
                ["entityType"] = "team",
                ["entityId"] = $"up-{label}-{c}-{b}-{i}",
                ["operation"] = "CREATE",
                ["payload"] = new JsonObject { ["name"] = $"Bench {c}/{b}/{i}", ["role"] = "Dev" },
            }).ToArray());
            var body = new JsonObject { ["clientId"] = $"bench-up-{label}-{c}", ["events"] = events };
            var started = Stopwatch.GetTimestamp();
            using var response = await http.PostAsync("/api/sync/up", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
            var acknowledged = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["acknowledged"]!.AsArray().Count;
            if (acknowledged != 100)
            {
                throw new InvalidOperationException($"batch {c}/{b}: {acknowledged} of 100 acknowledged");
            }

            lock (batchTimes)
            {
                batchTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    }));
    return new UpRun(clients * batches * 100, total.Elapsed.TotalSeconds, P(batchTimes, 50), P(batchTimes, 99));
}

// The same rows as a batch of sync/up writes (entities, the counter, change log, receipts), with multi-row INSERTs
// over plain Npgsql, one transaction per batch, the same number of concurrent clients and batches.
async Task<UpRun> RawThroughputAsync(string connectionString)
{
    var batchTimes = new List<double>();
    var total = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        for (var b = 0; b < batches; b++)
        {
            var started = Stopwatch.GetTimestamp();
            var now = DateTimeOffset.UtcNow;
            await using var tx = await connection.BeginTransactionAsync();
            var ids = Enumerable.Range(0, 100).Select(i => $"up-raw-{c}-{b}-{i}").ToArray();
            var fields = ids.Select((_, i) => $$"""{"name":"Bench {{c}}/{{b}}/{{i}}","role":"Dev","createdAt":"{{now:O}}"}""").ToArray();
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO entities (tenant_id, entity_type, id, version, fields, field_versions, deleted, created_at, created_by, updated_at, updated_by) " +
                "SELECT 'demo', 'team', id, 1, f, '{\"name\":1,\"role\":1,\"createdAt\":1}', false, @now, 'bench', @now, 'bench' FROM unnest(@ids, @fields) AS t(id, f)", connection, tx))
            {
                insert.Parameters.AddWithValue("ids", ids);
                insert.Parameters.AddWithValue("fields", fields);
                insert.Parameters.AddWithValue("now", now);
                await insert.ExecuteNonQueryAsync();
            }

            long last;
            await using (var counter = new NpgsqlCommand("UPDATE tenant_counters SET last_seq = last_seq + 100 WHERE tenant_id = 'demo' RETURNING last_seq", connection, tx))
            {
                last = (long)(await counter.ExecuteScalarAsync())!;
            }

            await using (var changes = new NpgsqlCommand(
                "INSERT INTO changes (tenant_id, seq, entity_type, entity_id, operation, version, changed, conflicts, actor, origin, occurred_at) " +
                "SELECT 'demo', @first + o - 1, 'team', id, 'create', 1, f, NULL, 'bench', 'bench-raw', @now FROM unnest(@ids, @fields) WITH ORDINALITY AS t(id, f, o);" +
                "INSERT INTO outbox_receipts (tenant_id, client_id, event_id, outcome, result, processed_at) " +
                "SELECT 'demo', 'bench-raw-' || @client, 'raw-' || id, 'acknowledged', '{\"eventId\":\"' || id || '\",\"outcome\":\"acknowledged\"}', @now FROM unnest(@ids) AS t(id)", connection, tx))
            {
                changes.Parameters.AddWithValue("first", last - 99);
                changes.Parameters.AddWithValue("ids", ids);
                changes.Parameters.AddWithValue("fields", fields);
                changes.Parameters.AddWithValue("now", now);
                changes.Parameters.AddWithValue("client", c.ToString(CultureInfo.InvariantCulture));
                await changes.ExecuteNonQueryAsync();
            }

            await tx.CommitAsync();
            lock (batchTimes)
            {
                batchTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    }));
    return new UpRun(clients * batches * 100, total.Elapsed.TotalSeconds, P(batchTimes, 50), P(batchTimes, 99));
}

object EditJson((EditRun Result, double Cores, double Busy) run) =>
    new { editors, run.Result.Count, run.Result.Seconds, perSecond = run.Result.Count / run.Result.Seconds, run.Result.P50, run.Result.P99, run.Cores, run.Busy };

void PrintEdits((EditRun Result, double Cores, double Busy) locked, (EditRun Result, double Cores, double Busy) statement, (EditRun Result, double Cores, double Busy) alternating,
    (EditRun Result, double Cores, double Busy) alternatingUncached)
{
    Console.WriteLine($"| API edits: {editors} editors on distinct entities of one tenant, {editSeconds} s | PATCHes | PATCH/s | p50 ms | p99 ms | bench process cores | machine busy % |");
    Console.WriteLine("|---|---|---|---|---|---|---|");
    foreach (var (name, run) in new[] { ("row-locking transaction (Entities:OneStatementEdits=false, before)", locked), ("one conditional statement (after)", statement), ("one statement, each editor alternating between two nodes", alternating), ("the same, nodes keeping no rows (Entities:CachedRows=0)", alternatingUncached) })
    {
        var r = run.Result;
        Console.WriteLine($"| {name} | {r.Count:N0} | {r.Count / r.Seconds:F0} | {r.P50:F1} | {r.P99:F1} | {run.Cores:F2} | {run.Busy:F0} |");
    }

    Console.WriteLine($"one statement = {(statement.Result.Count / statement.Result.Seconds) / (locked.Result.Count / locked.Result.Seconds):F2} x the PATCH/s of the row-locking transaction; " +
                      $"alternating nodes = {(alternating.Result.Count / alternating.Result.Seconds) / (statement.Result.Count / statement.Result.Seconds):F2} x one node's PATCH/s, " +
                      $"{(alternating.Result.Count / alternating.Result.Seconds) / (alternatingUncached.Result.Count / alternatingUncached.Result.Seconds):F2} x alternating nodes that keep no rows");
}

// Editors PATCH their own entity (its version chain) as fast as they get answers, all at once; with several nodes,
// each editor sends its n-th PATCH to node n mod count.
async Task<EditRun> EditsAsync(HubApp[] nodes, string label)
{
    var node = nodes[0];
    using var setup = Client("demo", "bench-editor-setup", node);
    for (var e = 0; e < editors; e++)
    {
        using var created = await setup.PostAsync("/api/tenants/demo/entities/team", new StringContent(
            new JsonObject { ["id"] = $"edit-{label}-{e}", ["fields"] = new JsonObject { ["name"] = $"Editor {e}", ["role"] = "Dev" } }.ToJsonString(), Encoding.UTF8, "application/json"));
        created.EnsureSuccessStatusCode();
    }

    var times = new List<double>();
    var total = Stopwatch.StartNew();
    var stopAt = DateTime.UtcNow.AddSeconds(editSeconds);
    await Task.WhenAll(Enumerable.Range(0, editors).Select(async e =>
    {
        var https = nodes.Select(n => Client("demo", $"bench-editor-{e}", n)).ToArray();
        for (long version = 1, n = 0; DateTime.UtcNow < stopAt; n++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await https[n % https.Length].PatchAsync($"/api/tenants/demo/entities/team/edit-{label}-{e}", new StringContent(
                new JsonObject { ["baseVersion"] = version, ["fields"] = new JsonObject { ["bio"] = $"edit {n}" } }.ToJsonString(), Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
            version = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["entity"]!["version"]!.GetValue<long>();
            lock (times)
            {
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        foreach (var http in https)
        {
            http.Dispose();
        }
    }));
    return new EditRun(times.Count, total.Elapsed.TotalSeconds, P(times, 50), P(times, 99));
}

// Runs a phase and reports this process's CPU (cores) and the machine's busy share (/proc/stat) over it.
static async Task<(T Result, double Cores, double Busy)> Measured<T>(Func<Task<T>> phase)
{
    var process = Process.GetCurrentProcess();
    var cpuBefore = process.TotalProcessorTime;
    var (busyBefore, allBefore) = MachineTicks();
    var wall = Stopwatch.StartNew();
    var result = await phase();
    process.Refresh();
    var cores = (process.TotalProcessorTime - cpuBefore).TotalSeconds / wall.Elapsed.TotalSeconds;
    var (busyAfter, allAfter) = MachineTicks();
    return (result, cores, 100.0 * (busyAfter - busyBefore) / Math.Max(1, allAfter - allBefore));
}

static (long Busy, long All) MachineTicks()
{
    var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
    var idle = cpu[3] + cpu[4]; // idle + iowait
    var all = cpu.Take(8).Sum();
    return (all - idle, all);
}

HttpClient Client(string tenant, string subject, HubApp? node = null)
{
    var http = (node ?? app).CreateClient();
    http.Timeout = TimeSpan.FromMinutes(2);
    var token = (node ?? app).Services.GetRequiredService<TokenIssuer>().Issue(tenant, subject, ["editor"], TimeSpan.FromHours(1));
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return http;
}

static async Task SeedAsync(string connectionString, string tenant, int changes)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    var sql = $"""
        INSERT INTO tenants (id, name, created_at) VALUES ('{tenant}', '{tenant}', now());
        INSERT INTO entities (tenant_id, entity_type, id, version, fields, field_versions, deleted, created_at, created_by, updated_at, updated_by)
            SELECT '{tenant}', 'team', 'e' || g, 1, '{"{"}"name":"Bench ' || g || '","role":"Dev"{"}"}', '{"{"}"name":1,"role":1{"}"}', false, now(), 'bench', now(), 'bench'
            FROM generate_series(0, 9999) g;
        INSERT INTO changes (tenant_id, seq, entity_type, entity_id, operation, version, changed, conflicts, actor, origin, occurred_at)
            SELECT '{tenant}', g, 'team', 'e' || (g % 10000), CASE WHEN g <= 10000 THEN 'create' ELSE 'update' END, 1, '{"{"}"role":"Dev"{"}"}', NULL, 'bench', 'bench', now()
            FROM generate_series(1, {changes}) g;
        INSERT INTO tenant_counters (tenant_id, last_seq) VALUES ('{tenant}', {changes});
        ANALYZE changes;
        ANALYZE entities;
        """;
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
    await command.ExecuteNonQueryAsync();
}

static async Task<List<string>> ExplainAsync(string connectionString, string tenant, long after)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    // The statement EF sends for a page (SyncService.DownloadAsync), with literal values.
    var sql = $"""
        EXPLAIN (ANALYZE, BUFFERS)
        SELECT c.seq, c.entity_type, c.entity_id, c.operation, c.origin FROM changes AS c
        WHERE c.tenant_id = '{tenant}' AND c.seq > {after} ORDER BY c.seq LIMIT 501
        """;
    await using var command = new NpgsqlCommand(sql, connection);
    var lines = new List<string>();
    await using var reader = await command.ExecuteReaderAsync();
    while (await reader.ReadAsync())
    {
        lines.Add(reader.GetString(0));
    }

    return lines;
}

static double P(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "RealtimeSync.sln")))
        {
            return dir.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

internal sealed record UpRun(int Events, double Seconds, double BatchP50, double BatchP99);

internal sealed record EditRun(int Count, double Seconds, double P50, double P99);
