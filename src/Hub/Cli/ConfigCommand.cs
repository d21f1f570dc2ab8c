using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RealtimeSync.Hub.Config;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Redis;

namespace RealtimeSync.Hub.Cli;

/// <summary>
/// <c>config verify | migrate --from-files [--dry-run] | get KEY | set KEY VALUE</c> against the active store
/// (redis-first when <c>Redis:Configuration</c> is set, else the files). Exit codes: 0 done / valid, 1 a problem
/// (invalid or missing keys, invalid value, store unreachable), 2 usage.
/// </summary>
public static class ConfigCommand
{
    public const string Usage = "usage: config verify | config migrate --from-files [--dry-run] | config get KEY | config set KEY VALUE (VALUE is JSON; a bare word is taken as a string)";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, IConfiguration configuration, TextWriter stdout, TextWriter stderr)
    {
        using var redis = new RedisConnection(configuration);
        ConfigStore store;
        try
        {
            store = new ConfigStore(configuration, redis, new DataDirectory(configuration), null, TimeProvider.System, NullLogger.Instance);
        }
        catch (InvalidOperationException e)
        {
            stderr.WriteLine(e.Message);
            return 2;
        }

        switch (args.ToArray())
        {
            case ["verify"]:
                return await VerifyAsync(store, stdout, stderr);
            case ["migrate", .. var options] when options.Length > 0 && options.Contains("--from-files") && options.All(o => o is "--from-files" or "--dry-run"):
                return await MigrateAsync(store, options.Contains("--dry-run"), stdout, stderr);
            case ["get", var name]:
                return await GetAsync(store, name, stdout, stderr);
            case ["set", var name, var text]:
                return await SetAsync(store, name, text, stdout, stderr);
            default:
                stderr.WriteLine(Usage);
                return 2;
        }
    }

    private static async Task<int> VerifyAsync(ConfigStore store, TextWriter stdout, TextWriter stderr)
    {
        var problems = await store.VerifyAsync();
        foreach (var (key, problem) in problems)
        {
            stderr.WriteLine($"{key}: {problem}");
        }

        stdout.WriteLine(problems.Count == 0
            ? $"ok: {ConfigCatalogue.Stored.Count} keys present and valid ({store.Mode})"
            : $"{problems.Count} problem(s) in the {store.Mode} store");
        return problems.Count == 0 ? 0 : 1;
    }

    private static async Task<int> MigrateAsync(ConfigStore store, bool dryRun, TextWriter stdout, TextWriter stderr)
    {
        if (store.Mode != ConfigStore.RedisFirst)
        {
            stderr.WriteLine("migrate --from-files copies the files to Redis: set Redis:Configuration (the active store is the files).");
            return 1;
        }

        IReadOnlyList<ConfigStore.MigrationStep> steps;
        try
        {
            steps = await store.MigrateFromFilesAsync(dryRun, $"cli:{Environment.UserName}");
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            stderr.WriteLine($"Redis unreachable: {e.Message}");
            return 1;
        }

        foreach (var step in steps)
        {
            var line = step.Action == "invalid"
                ? $"invalid   {step.Key} ({step.Origin}): {step.Problem}"
                : $"{(dryRun && step.Action == "set" ? "would set" : step.Action),-9} {step.Key} = {step.Display} (from {step.Origin})";
            (step.Action == "invalid" ? stderr : stdout).WriteLine(line);
        }

        if (steps.Any(s => s.Action == "invalid"))
        {
            stderr.WriteLine("nothing written: fix the invalid file(s) first");
            return 1;
        }

        if (dryRun)
        {
            stdout.WriteLine("dry run: nothing written");
            return 0;
        }

        return await VerifyAsync(store, stdout, stderr);
    }

    private static async Task<int> GetAsync(ConfigStore store, string name, TextWriter stdout, TextWriter stderr)
    {
        if (ConfigCatalogue.Find(name) is null)
        {
            stderr.WriteLine($"'{name}' is not a configuration key");
            return 2;
        }

        await store.InitializeAsync();
        var entry = store.Entry(name)!;
        stdout.WriteLine(entry.Display);
        stderr.WriteLine($"version {entry.Version}, source {entry.Source}{(store.Status.Degraded ? " (store degraded)" : "")}");
        return 0;
    }

    private static async Task<int> SetAsync(ConfigStore store, string name, string text, TextWriter stdout, TextWriter stderr)
    {
        JsonElement value;
        try
        {
            value = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            value = JsonSerializer.SerializeToElement(text); // `config set OnlyOffice:DocumentServerUrl https://ds` without shell quoting
        }

        await store.InitializeAsync();
        var result = await store.SetAsync(name, value, $"cli:{Environment.UserName}");
        switch (result.Outcome)
        {
            case ConfigWriteOutcome.Written or ConfigWriteOutcome.Unchanged:
                stdout.WriteLine($"{name}: {result.Outcome.ToString().ToLowerInvariant()}, version {result.Version}");
                return 0;
            case ConfigWriteOutcome.UnknownKey:
                stderr.WriteLine(result.Problem);
                return 2;
            default:
                stderr.WriteLine($"{name} {result.Problem}");
                return 1;
        }
    }
}
