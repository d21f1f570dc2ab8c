using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

// documents/sync full snapshot (bench/README.md): N documents of one tenant on PostgreSQL, a client pages through
// the whole snapshot over real HTTP (Kestrel on 127.0.0.1), `runs` times per encoding; reports total time, pages/s,
// page latency p50/p99 and bytes on the wire. Every run is checked: it must return each document exactly once.
var documents = 100_000;
var limit = 500;
var runs = 3;
string? postgres = null;
string? outFolder = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--documents": documents = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--limit": limit = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--postgres": postgres = args[++i]; break;
        case "--out": outFolder = args[++i]; break;
        default:
            Console.Error.WriteLine("usage: [--documents 100000] [--limit 500] [--runs 3] [--postgres <Npgsql connection string>] [--out <folder>]");
            return 2;
    }
}

var resultsFolder = Path.GetFullPath(outFolder ?? Path.Combine(RepositoryRoot(), "bench", "results"));
Directory.SetCurrentDirectory(AppContext.BaseDirectory); // WebApplicationFactory finds the Hub's manifest here

PostgresDatabase? database = postgres is null ? await TestServers.CreatePostgresDatabaseAsync() : null;
try
{
    await using var app = new HubApp(new Dictionary<string, string?>
    {
        ["ConnectionStrings:Postgres"] = postgres ?? database!.ConnectionString,
        ["Serilog:MinimumLevel"] = "Warning",
        ["environment"] = "Production",
        ["Demo:Enabled"] = "false",
    }, realServer: true);

    var seed = Stopwatch.StartNew();
    await SeedAsync(app, "demo", documents);
    seed.Stop();
    Console.WriteLine($"seeded {documents} documents in {seed.Elapsed.TotalSeconds:F1} s");

    var token = app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "bench", ["viewer"], TimeSpan.FromHours(1));
    var results = new List<JsonObject>();
    var encodings = new[] { "identity", "br", "gzip" };
    var clients = encodings.ToDictionary(e => e, e =>
    {
        var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = app.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.AcceptEncoding.Add(new StringWithQualityHeaderValue(e));
        return http;
    });
    foreach (var encoding in encodings)
    {
        await SnapshotAsync(clients[encoding], limit, encoding == "identity" ? null : encoding, documents); // warm-up
    }

    // Runs interleave the encodings, so drift on a shared machine hits all of them alike.
    for (var run = 0; run < runs; run++)
    {
        foreach (var encoding in encodings)
        {
            var result = await SnapshotAsync(clients[encoding], limit, encoding == "identity" ? null : encoding, documents);
            result["encoding"] = encoding;
            result["run"] = run + 1;
            results.Add(result);
            Console.WriteLine(result.ToJsonString());
        }
    }

    foreach (var client in clients.Values)
    {
        client.Dispose();
    }

    Console.WriteLine();
    Console.WriteLine($"documents/sync full snapshot, {documents} documents, limit {limit}, PostgreSQL, {Environment.ProcessorCount} cores");
    Console.WriteLine("| encoding | runs | total s (median) | pages/s (median) | page p50 ms | page p99 ms | MB on the wire |");
    Console.WriteLine("|---|---|---|---|---|---|---|");
    foreach (var group in results.GroupBy(r => r["encoding"]!.GetValue<string>()))
    {
        double Median(string key) => group.Select(r => r[key]!.GetValue<double>()).Order().ElementAt(group.Count() / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {group.Key} | {group.Count()} | {Median("totalSeconds"):F2} | {Median("pagesPerSecond"):F0} | {Median("p50Ms"):F1} | {Median("p99Ms"):F1} | {Median("wireBytes") / 1e6:F1} |"));
    }

    Directory.CreateDirectory(resultsFolder);
    var file = Path.Combine(resultsFolder, $"document-sync-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
    await File.WriteAllTextAsync(file, new JsonObject
    {
        ["documents"] = documents, ["limit"] = limit, ["cores"] = Environment.ProcessorCount, ["seedSeconds"] = seed.Elapsed.TotalSeconds,
        ["runs"] = new JsonArray(results.Select(r => (JsonNode)r.DeepClone()).ToArray()),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"JSON: {file}");
}
finally
{
    if (database is not null)
    {
        await database.DisposeAsync();
    }
}

return 0;

// The store's protocol, batched: one transaction reserves N seqs from tenant_counters first, then writes the rows.
static async Task SeedAsync(HubApp app, string tenant, int count)
{
    await using var scope = app.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
    db.ChangeTracker.AutoDetectChangesEnabled = false;
    await using var tx = await db.Database.BeginTransactionAsync();
    var last = (await db.Database.SqlQuery<long>($"""
        INSERT INTO tenant_counters (tenant_id, last_seq) VALUES ({tenant}, {(long)count})
        ON CONFLICT (tenant_id) DO UPDATE SET last_seq = tenant_counters.last_seq + {(long)count} RETURNING last_seq AS "Value"
        """).ToListAsync()).Single();
    var now = DateTimeOffset.UtcNow;
    for (var i = 0; i < count; i++)
    {
        var id = Guid.NewGuid().ToString("N");
        db.Documents.Add(new DocumentRow
        {
            TenantId = tenant, Id = id, Filename = $"report-{i:D6}.docx", Mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            CurrentVersion = 1 + (i % 7), DocKey = $"{id}-k1", Size = 10_000 + i, Md5 = id, Sha256 = id + id, Seq = last - count + 1 + i,
            CreatedAt = now, CreatedBy = "bench", UpdatedAt = now, UpdatedBy = "bench",
        });
        if ((i + 1) % 5000 == 0)
        {
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
        }
    }

    await db.SaveChangesAsync();
    await tx.CommitAsync();
    await db.Database.ExecuteSqlRawAsync("ANALYZE documents");
}

static async Task<JsonObject> SnapshotAsync(HttpClient http, int limit, string? encoding, int expected)
{
    var seen = new HashSet<string>(StringComparer.Ordinal);
    var latencies = new List<double>();
    var wire = 0L;
    string? cursor = null;
    var total = Stopwatch.StartNew();
    while (true)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync($"/api/tenants/demo/documents/sync?limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}"));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (response.StatusCode != HttpStatusCode.OK || (encoding is not null && !response.Content.Headers.ContentEncoding.Contains(encoding)))
        {
            throw new InvalidOperationException($"page answered {(int)response.StatusCode} with encoding '{string.Join(",", response.Content.Headers.ContentEncoding)}'");
        }

        wire += bytes.Length;
        Stream body = new MemoryStream(bytes);
        if (encoding == "br")
        {
            body = new System.IO.Compression.BrotliStream(body, System.IO.Compression.CompressionMode.Decompress);
        }
        else if (encoding == "gzip")
        {
            body = new System.IO.Compression.GZipStream(body, System.IO.Compression.CompressionMode.Decompress);
        }

        var page = (await JsonNode.ParseAsync(body))!;
        foreach (var doc in page["added"]!.AsArray())
        {
            if (!seen.Add(doc!["id"]!.GetValue<string>()))
            {
                throw new InvalidOperationException("a document came twice");
            }
        }

        cursor = page["cursor"]!.GetValue<string>();
        if (!page["hasMore"]!.GetValue<bool>())
        {
            break;
        }
    }

    total.Stop();
    if (seen.Count != expected)
    {
        throw new InvalidOperationException($"the snapshot had {seen.Count} documents, expected {expected}");
    }

    latencies.Sort();
    double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
    return new JsonObject
    {
        ["pages"] = latencies.Count, ["totalSeconds"] = total.Elapsed.TotalSeconds, ["pagesPerSecond"] = latencies.Count / total.Elapsed.TotalSeconds,
        ["documentsPerSecond"] = expected / total.Elapsed.TotalSeconds, ["p50Ms"] = Percentile(0.50), ["p99Ms"] = Percentile(0.99), ["wireBytes"] = (double)wire,
    };
}

static string RepositoryRoot()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RealtimeSync.sln")))
            {
                return dir.FullName;
            }
        }
    }

    return Directory.GetCurrentDirectory();
}
