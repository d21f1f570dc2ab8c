using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;
using Xunit.Abstractions;

namespace RealtimeSync.Client.Tests;

/// <summary>A client process killed with SIGKILL at random points of a push loses nothing and applies nothing twice.</summary>
public abstract class KillNineSuite(ITestOutputHelper output) : ClientTestBase
{
    private const int Events = 500;
    private const int Rounds = 20;

    [Fact]
    public async Task A_push_of_500_events_killed_20_times_loses_none_and_applies_none_twice()
    {
        var app = Start(realServer: true);
        var token = Token(app, "laptop-1");
        var data = Path.Combine(Folder, "rs");
        // 400 creates, then 100 updates of the first 100: order matters (an update needs its create first).
        await using (var offline = await RealtimeSyncClient.OpenAsync(new SyncClientOptions { Server = DeadAddress(), Token = token, DatabasePath = Path.Combine(data, "rs.db"), MaxRetries = 0, ListenForChanges = false }))
        {
            for (var i = 0; i < 400; i++)
            {
                await offline.CreateAsync("team", $"k{i:000}", Member($"K{i}", id: $"k{i}"));
            }

            for (var i = 0; i < 100; i++)
            {
                await offline.UpdateAsync("team", $"k{i:000}", Fields("""{"role":"Updated"}"""));
            }
        }

        var env = new Dictionary<string, string> { ["RS_SERVER"] = app.Address.ToString(), ["RS_TOKEN"] = token, ["RS_DATA"] = data };
        var random = new Random(15);
        var watch = Stopwatch.StartNew();
        for (var round = 0; round < Rounds; round++)
        {
            using var push = RsProcess.Start(env, "push");
            _ = push.StandardOutput.ReadToEndAsync();
            _ = push.StandardError.ReadToEndAsync();
            var delay = random.Next(150, 2000);
            await Task.Delay(delay);
            var killed = !push.HasExited;
            push.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
            await push.WaitForExitAsync();
            output.WriteLine($"round {round}: killed after {delay} ms ({(killed ? "running" : "had finished")}), server has {await ChangesAsync(app)} changes");
        }

        var final = await RsProcess.RunAsync(env, "push");
        Assert.True(final.ExitCode == 0, final.Stderr);
        output.WriteLine($"{Rounds} rounds and the final push in {watch.Elapsed}");

        Assert.Equal(Events, await ChangesAsync(app)); // each event applied exactly once
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        Assert.Equal(Events, await db.OutboxReceipts.CountAsync(r => r.TenantId == "demo" && r.ClientId == "laptop-1" && r.Outcome == "acknowledged"));
        var entities = await db.Entities.AsNoTracking().Where(e => e.TenantId == "demo" && e.Id.StartsWith("k")).ToListAsync();
        Assert.Equal(400, entities.Count);
        Assert.All(entities, e =>
        {
            var index = int.Parse(e.Id[1..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(index < 100 ? ("Updated", 2L) : ("Dev", 1L), ((string?)JsonNode.Parse(e.Fields)!["role"], e.Version));
        });
        var status = JsonNode.Parse((await RsProcess.RunAsync(env, "status")).Stdout)!;
        Assert.Equal(0, (int)status["pending"]!);
    }

    private static async Task<int> ChangesAsync(HubApp app) => await ChangesFromAsync(app, "laptop-1");
}

public sealed class SqliteKillNineTests(ITestOutputHelper output) : KillNineSuite(output)
{
    protected override Backend Backend => Backend.Sqlite;
}

public sealed class PostgresKillNineTests(ITestOutputHelper output) : KillNineSuite(output)
{
    protected override Backend Backend => Backend.Postgres;
}
