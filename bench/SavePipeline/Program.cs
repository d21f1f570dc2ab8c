using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Testing;

// Save pipeline latency (bench/README.md): per file size, N saves through the product (status-6 callback
// from the Document Server stand-in → download → fsynced spool + save_jobs row → {"error":0} → worker upload
// to s3rver with integrity check → commit → `saved` push) interleaved with N bare S3 puts of the same bytes.
var saves = Arg("--saves", 200);
var warmUp = Arg("--warmup", 10);
var sizes = (ArgText("--sizes") ?? "102400,5242880").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var output = ArgText("--out") ?? Path.Combine(RepositoryRoot(), "bench", "results");
var backends = (ArgText("--backend") ?? "both") switch { "both" => new[] { "sqlite", "postgres" }, var one => [one] };
Directory.SetCurrentDirectory(AppContext.BaseDirectory); // WebApplicationFactory looks for the Hub's manifest here

var results = new List<SizeResult>();
foreach (var backend in backends)
{
    PostgresDatabase? database = null;
    try
    {
        await RunAsync(backend);
    }
    finally
    {
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    async Task RunAsync(string backend)
    {
        await using var documentServer = await DocumentServerStandIn.StartAsync($"bench-secret-{Guid.NewGuid():N}");
        var settings = TestServers.S3Settings();
        settings["OnlyOffice:DocumentServerUrl"] = documentServer.Address.ToString();
        settings["OnlyOffice:JwtSecret"] = documentServer.Secret;
        settings["Serilog:MinimumLevel"] = "Warning";
        settings["environment"] = "Production";
        if (backend == "postgres")
        {
            database = await TestServers.CreatePostgresDatabaseAsync();
            settings["ConnectionStrings:Postgres"] = database.ConnectionString;
        }

        await using var app = new HubApp(settings, realServer: true);
        using var http = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "bench", ["editor"], TimeSpan.FromHours(2)));
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(TestServers.S3AccessKey, TestServers.S3SecretKey), new AmazonS3Config
        {
            ServiceURL = TestServers.S3Url,
            ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

        var saved = new ConcurrentDictionary<(string Document, int Version), long>();
        var publisher = app.Services.GetRequiredService<ChannelPublisher>();
        foreach (var size in sizes)
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(RandomNumberGenerator.GetBytes(size)), "file", "bench.docx" } };
            using var uploaded = await http.PostAsync("/api/tenants/demo/documents", form);
            uploaded.EnsureSuccessStatusCode();
            var id = (await uploaded.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
            var config = (await http.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}/editor-config"))!;
            var callback = config["editorConfig"]!["callbackUrl"]!.GetValue<string>();
            var key = config["document"]!["key"]!.GetValue<string>();
            using var listener = publisher.Listen($"demo/documents/{id}", publication =>
            {
                var data = publication.Data;
                if (publication.Type == PublicationTypes.DocumentSaveStatus && data.GetProperty("state").GetString() == "saved")
                {
                    saved[(id, data.GetProperty("version").GetInt32())] = Stopwatch.GetTimestamp();
                }

                return Task.CompletedTask;
            });

            var bytes = RandomNumberGenerator.GetBytes(size);
            var pipeline = new List<double>();
            var put = new List<double>();
            var version = 1;
            for (var i = 0; i < warmUp + saves; i++)
            {
                // Fresh content each time (a few bytes differ), so no layer can skip work on equal bytes.
                BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (long)i);
                var copy = bytes.ToArray();

                var putStart = Stopwatch.GetTimestamp();
                await s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = TestServers.S3Bucket,
                    Key = $"bench/{id}/bare-{i}",
                    InputStream = new MemoryStream(copy),
                    ContentType = "application/octet-stream",
                    MD5Digest = Convert.ToBase64String(MD5.HashData(copy)),
                    UseChunkEncoding = false,
                });
                var putMs = Stopwatch.GetElapsedTime(putStart).TotalMilliseconds;

                var url = documentServer.Serve(copy);
                version++;
                var start = Stopwatch.GetTimestamp();
                var answer = await documentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 6, url, $"bench-{i}", 0), Signing.BodyToken);
                if (answer.Status != 200)
                {
                    throw new InvalidOperationException($"callback answered {answer.Status}: {answer.Body}");
                }

                var deadline = DateTime.UtcNow.AddSeconds(60);
                long at;
                while (!saved.TryGetValue((id, version), out at))
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"version {version} of {id} was not saved within 60 s");
                    }

                    await Task.Delay(1);
                }

                if (i >= warmUp)
                {
                    put.Add(putMs);
                    pipeline.Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
                }
            }

            results.Add(new SizeResult(backend, size, Stats.Of(pipeline), Stats.Of(put)));
        }
    }
}

Console.WriteLine($"## Save pipeline: callback received → `saved` pushed vs bare S3 put (s3rver), {saves} saves per size after {warmUp} warm-up, interleaved");
Console.WriteLine();
Console.WriteLine("| database | size | mode | p50 ms | p90 ms | p99 ms | max ms | goal: pipeline p99 ≤ 2 × put p99 + 20 ms |");
Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---|");
foreach (var r in results)
{
    var limit = (2 * r.Put.P99) + 20;
    Console.WriteLine($"| {r.Backend} | {Size(r.Bytes)} | bare put | {F(r.Put.P50)} | {F(r.Put.P90)} | {F(r.Put.P99)} | {F(r.Put.Max)} | |");
    Console.WriteLine($"| {r.Backend} | {Size(r.Bytes)} | pipeline | {F(r.Pipeline.P50)} | {F(r.Pipeline.P90)} | {F(r.Pipeline.P99)} | {F(r.Pipeline.Max)} | {(r.Pipeline.P99 <= limit ? "met" : "missed")} ({F(r.Pipeline.P99)} vs {F(limit)}) |");
}

Directory.CreateDirectory(output);
var file = Path.Combine(output, $"save-pipeline-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { saves, warmUp, results, machine = Environment.ProcessorCount + " cores" }, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine();
Console.WriteLine($"JSON: {file}");
return 0;

static string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);

static string Size(int bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024)} MB" : $"{bytes / 1024} KB";

int Arg(string name, int fallback) => ArgText(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "RealtimeSync.sln")))
        {
            return dir.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

internal sealed record Stats(double P50, double P90, double P99, double Max, double Mean)
{
    public static Stats Of(List<double> values)
    {
        var sorted = values.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Stats(At(0.50), At(0.90), At(0.99), sorted[^1], sorted.Average());
    }
}

internal sealed record SizeResult(string Backend, int Bytes, Stats Pipeline, Stats Put);
