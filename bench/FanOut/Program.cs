using RealtimeSync.FanOut;
using RealtimeSync.FanOut.Generator;
using RealtimeSync.FanOut.Systems;

// Fan-out (bench/README.md): one publisher, N WebSocket subscribers of one channel, rates stepped up until
// p99 > limit; the product on two nodes over Redis, the product on one node without Redis (upper bound),
// and Socket.IO with its Redis adapter, in one run with one subscriber process.
if (args is ["clients"])
{
    // The subscribers' process, started by the run below.
    return await LoadGenerator.RunAsync(Console.In, Console.Out);
}

var (options, error) = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(error is { Length: > 0 } ? $"{error}\n{BenchOptions.Usage}" : BenchOptions.Usage);
    return error is { Length: > 0 } ? 2 : 0;
}

// The report is the only thing on standard output: the in-process node's console log goes to standard error.
var report = Console.Out;
Console.SetOut(Console.Error);
var resultsFolder = Path.GetFullPath(options.OutputFolder ?? Path.Combine(Repository.Root(), "bench", "results"));
// WebApplicationFactory reads MvcTestingAppManifest.json (the Hub's content root) from the current directory.
Directory.SetCurrentDirectory(AppContext.BaseDirectory);

IReadOnlyList<SystemResult> results;
var systems = options.Systems.Select(name => name switch
{
    "upper" => new HubSystem(options, twoNodes: false),
    "product" => new HubSystem(options, twoNodes: true),
    "product-msgpack" => new HubSystem(options, twoNodes: true, messagePack: true),
    _ => (FanOutSystem)new SocketIoSystem(options),
}).ToList();
try
{
    await using var generator = GeneratorProcess.Start(options.PidFile);
    results = await new FanOutRun(options, generator).RunAsync(systems);
}
finally
{
    foreach (var system in systems)
    {
        await system.DisposeAsync();
    }
}

var goals = Goals.CheckAll(results, options.MaxP99Ms);
Report.Print(report, options, results, goals);
var written = Report.WriteJson(resultsFolder, options, results, goals);
report.WriteLine();
report.WriteLine($"JSON: {written}");
return 0;
