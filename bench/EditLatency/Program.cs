using RealtimeSync.EditLatency;
using RealtimeSync.Testing;

// Edit-to-screen latency (bench/README.md): per backend, the real host in-process, K subscribers, edits
// through the API against a bare group broadcast at the same rate, interleaved in phases of one run.
var (options, error) = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(error is { Length: > 0 } ? $"{error}\n{BenchOptions.Usage}" : BenchOptions.Usage);
    return error is { Length: > 0 } ? 2 : 0;
}

var resultsFolder = Path.GetFullPath(options.OutputFolder ?? Path.Combine(RepositoryRoot(), "bench", "results"));
// WebApplicationFactory reads MvcTestingAppManifest.json (the Hub's content root) from the current directory.
Directory.SetCurrentDirectory(AppContext.BaseDirectory);

var results = new List<BackendResult>();
foreach (var backend in options.Backends)
{
    var settings = new Dictionary<string, string?>
    {
        // Nothing on the measured path logs below Warning; this only keeps start-up chatter off the report.
        ["Serilog:MinimumLevel"] = "Warning",
        // As deployed (the test host defaults to Development: scope validation, developer exception page).
        ["environment"] = "Production",
        // Every simulated subscriber shares the one bench token: lift the per-token connection cap (20 by default).
        ["Realtime:Limits:MaxConnectionsPerToken"] = "100000",
    };
    PostgresDatabase? database = null;
    if (backend == "postgres")
    {
        if (options.Postgres is null)
        {
            database = await TestServers.CreatePostgresDatabaseAsync();
        }

        settings["ConnectionStrings:Postgres"] = options.Postgres ?? database!.ConnectionString;
    }

    try
    {
        results.Add(await new LatencyRun(options, backend, settings).RunAsync());
    }
    finally
    {
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }
}

Report.Print(Console.Out, options, results);
var written = Report.WriteJson(resultsFolder, options, results);
Console.WriteLine();
Console.WriteLine($"JSON: {written}");
return 0;

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
