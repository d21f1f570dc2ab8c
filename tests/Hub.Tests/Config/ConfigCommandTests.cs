using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using RealtimeSync.Hub.Cli;
using RealtimeSync.Hub.Config;
using RealtimeSync.Hub.Infrastructure.Redis;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Config;

/// <summary><c>config verify | migrate --from-files [--dry-run] | get | set</c> against the real Redis and the files an embedded host wrote.</summary>
public sealed class ConfigCommandTests : IAsyncLifetime
{
    private readonly string prefix = $"cli{Guid.NewGuid():N}"[..12];
    private readonly HubApp embedded = new();

    public Task InitializeAsync()
    {
        _ = embedded.Services; // an embedded host seeds data/config/*.json
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await embedded.DisposeAsync();

    private Dictionary<string, string?> Settings(bool redis) => new()
    {
        ["Storage:DataPath"] = embedded.DataPath,
        ["Redis:Configuration"] = redis ? TestServers.Redis : "",
        ["Redis:ChannelPrefix"] = prefix,
    };

    private async Task<(int Exit, string Out, string Err)> RunAsync(bool redis, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings(redis)).Build();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await ConfigCommand.RunAsync(args, configuration, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Verify_exits_1_on_missing_and_invalid_keys_and_0_after_migrate_from_files()
    {
        var (exit, _, err) = await RunAsync(redis: true, "verify");
        Assert.Equal(1, exit);
        foreach (var key in ConfigCatalogue.Stored)
        {
            Assert.Contains($"{key.Name}: missing in redis", err);
        }

        // A hand edit of one key in Redis (bypassing validation), the rest still missing.
        using (var connection = new RedisConnection(new ConfigurationBuilder().AddInMemoryCollection(Settings(redis: true)).Build()))
        {
            await connection.Multiplexer.GetDatabase().HashSetAsync($"{prefix}:config:values", "SiteTokens:MaxTtlSeconds", """{"value":5,"updatedAt":"2026-01-01T00:00:00Z","updatedBy":"hand"}""");
        }

        (exit, _, err) = await RunAsync(redis: true, "verify");
        Assert.Equal(1, exit);
        Assert.Contains("SiteTokens:MaxTtlSeconds: invalid in redis: must be from 60 to 86400", err);

        var (dryExit, dryOut, _) = await RunAsync(redis: true, "migrate", "--from-files", "--dry-run");
        Assert.Equal(0, dryExit);
        Assert.Contains("would set Realtime:History:MaxCount = 1000 (from file)", dryOut);
        Assert.DoesNotContain("OnlyOffice:JwtSecret", dryOut); // secrets never go to the store
        Assert.Equal(1, (await RunAsync(redis: true, "verify")).Exit); // a dry run writes nothing

        var (migrateExit, migrateOut, migrateErr) = await RunAsync(redis: true, "migrate", "--from-files");
        Assert.True(migrateExit == 0, migrateOut + migrateErr);
        Assert.Contains($"ok: {ConfigCatalogue.Stored.Count} keys present and valid (redis-first)", migrateOut);

        (exit, var output, err) = await RunAsync(redis: true, "verify");
        Assert.True(exit == 0, err);
        Assert.Contains("ok:", output);

        // Running it again changes nothing.
        var (_, again, _) = await RunAsync(redis: true, "migrate", "--from-files");
        Assert.DoesNotContain("set ", again.Replace("unchanged", ""));
    }

    [Fact]
    public async Task Migrate_refuses_to_write_anything_when_a_file_is_invalid()
    {
        File.WriteAllText(Path.Combine(embedded.DataPath, "config", "Sync.TombstoneRetentionDays.json"), """{"value": "forever", "version": 1}""");

        var (exit, _, err) = await RunAsync(redis: true, "migrate", "--from-files");

        Assert.Equal(1, exit);
        Assert.Contains("invalid   Sync:TombstoneRetentionDays (file): must be a whole number", err);
        Assert.Contains("nothing written", err);
        var (_, _, verifyErr) = await RunAsync(redis: true, "verify");
        Assert.Contains("Realtime:History:MaxCount: missing in redis", verifyErr);
    }

    [Fact]
    public async Task Get_and_set_go_through_the_schema_and_bad_usage_exits_2()
    {
        Assert.Equal(0, (await RunAsync(redis: false, "verify")).Exit);

        var (badExit, _, badErr) = await RunAsync(redis: false, "set", "Realtime:History:MaxCount", "0");
        Assert.Equal(1, badExit);
        Assert.Contains("must be from 1 to", badErr);

        var (setExit, setOut, _) = await RunAsync(redis: true, "set", "OnlyOffice:DocumentServerUrl", "https://ds.example.com");
        Assert.Equal(0, setExit);
        Assert.Contains("written, version 1", setOut);
        var (getExit, getOut, getErr) = await RunAsync(redis: true, "get", "OnlyOffice:DocumentServerUrl");
        Assert.Equal(0, getExit);
        Assert.Equal("\"https://ds.example.com\"", getOut.Trim());
        Assert.Contains("source redis", getErr);

        Assert.Equal(2, (await RunAsync(redis: true, "get", "No:Such:Key")).Exit);
        Assert.Equal(2, (await RunAsync(redis: true, "migrate")).Exit);
        Assert.Equal(2, (await RunAsync(redis: true, "frobnicate")).Exit);
        Assert.Equal(1, (await RunAsync(redis: false, "migrate", "--from-files")).Exit); // file mode has nothing to migrate to
    }

    [Fact]
    public async Task The_host_binary_dispatches_config_verify_with_its_exit_code()
    {
        var (exit, output) = await RunHostAsync("config", "verify");
        Assert.True(exit == 1, output);
        Assert.Contains("missing in redis", output);

        Assert.Equal(0, (await RunAsync(redis: true, "migrate", "--from-files")).Exit);
        (exit, output) = await RunHostAsync("config", "verify");
        Assert.True(exit == 0, output);
    }

    private async Task<(int Exit, string Output)> RunHostAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "RealtimeSync.Hub.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in Settings(redis: true))
        {
            info.Environment[key.Replace(":", "__")] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
