using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.FanOut.Systems;

/// <summary>
/// The product. Node 1 is the real host (Program.cs, every feature) in this process on Kestrel, so the
/// benchmark publishes through its <see cref="ChannelPublisher"/>, the one push path everything in the
/// product uses, without an API call, a database write or an endpoint added for the benchmark.
/// <para>
/// Two nodes (<c>product</c>): node 2 is the released Hub binary in a process of its own, both on one Redis
/// (history append + cross-node fan-out in <see cref="RedisChannelHistory"/>); subscribers split evenly.
/// One node (<c>upper</c>): no Redis, in-memory history, the publisher delivers in-process: the upper bound.
/// </para>
/// </summary>
internal sealed class HubSystem(BenchOptions options, bool twoNodes, bool messagePack = false) : FanOutSystem
{
    private readonly string signingKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    private readonly string prefix = $"bench{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
    private readonly List<Server> servers = [];
    private HubApp? node1;
    private ChildProcess? node2;
    private string? node2Data;
    private ChannelPublisher? publisher;
    private bool disposed;

    public override string Name => (twoNodes ? "product" : "upper") + (messagePack ? "-msgpack" : "");

    public override string Description => (twoNodes
        ? "RealtimeSync, 2 nodes on Redis (node 1 in the benchmark process with the publisher, node 2 its own process)"
        : "RealtimeSync, 1 node, no Redis (in-memory history, in-process delivery): upper bound")
        + (messagePack ? ", MessagePack hub protocol" : ", JSON hub protocol");

    public override string Protocol => messagePack ? "signalr-msgpack" : "signalr";

    public override string Channel => "demo/entities/bench";

    public override IReadOnlyList<Server> Servers => servers;

    public override IReadOnlyList<Watched> Backing => twoNodes && options.RedisPid is { } pid ? [new Watched("redis", pid)] : [];

    private const string MaxConnectionsPerToken = "Realtime:Limits:MaxConnectionsPerToken";

    public override async Task StartAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            // Nothing on the measured path logs below Warning; this keeps start-up chatter off the report.
            ["Serilog:MinimumLevel"] = "Warning",
            // As deployed (the test host defaults to Development: scope validation, developer exception page).
            ["environment"] = "Production",
            ["Auth:Jwt:SigningKey"] = signingKey,
            ["Demo:Enabled"] = "false",
            ["Node:Id"] = (twoNodes ? "n1" : "single") + (messagePack ? "m" : ""),
            // Every simulated subscriber shares the one bench token: lift the per-token connection cap (20 by default).
            [MaxConnectionsPerToken] = "100000",
        };
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        if (twoNodes)
        {
            settings["Redis:Configuration"] = options.Redis;
            settings["Redis:ChannelPrefix"] = prefix;
        }

        node1 = new HubApp(settings, realServer: true);
        servers.Add(new Server(twoNodes ? "node n1 (in-process)" : "node (in-process)", node1.Address, Environment.ProcessId));
        publisher = node1.Services.GetRequiredService<ChannelPublisher>();
        // Signed with the shared key, so node 2 accepts it too; tenant demo exists on every fresh database.
        Token = node1.Services.GetRequiredService<TokenIssuer>().Issue("demo", "bench", ["editor"], TimeSpan.FromHours(2));

        if (twoNodes)
        {
            var port = TestServers.FreePort();
            node2Data = Path.Combine(Path.GetTempPath(), "rs-fanout", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(node2Data);
            var hubDll = options.HubDll ?? Path.Combine(Repository.Root(), "src", "Hub", "bin", "Release", "net10.0", "RealtimeSync.Hub.dll");
            var environment = new Dictionary<string, string>
            {
                ["Urls"] = $"http://127.0.0.1:{port}",
                ["Node__Id"] = messagePack ? "n2m" : "n2",
                ["Redis__Configuration"] = options.Redis!,
                ["Redis__ChannelPrefix"] = prefix,
                ["Storage__DataPath"] = node2Data,
                ["Auth__Jwt__SigningKey"] = signingKey,
                ["Admin__InitialPassword"] = HubApp.AdminPassword,
                ["Demo__Enabled"] = "false",
                [MaxConnectionsPerToken.Replace(":", "__", StringComparison.Ordinal)] = "100000",
                ["Serilog__MinimumLevel"] = "Warning",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["DOTNET_ENVIRONMENT"] = "Production",
            };
            foreach (var (key, value) in options.Settings)
            {
                environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }

            node2 = ChildProcess.Start("dotnet", [Path.GetFullPath(hubDll)], environment, Path.GetDirectoryName(Path.GetFullPath(hubDll)), options.PidFile);
            var address = new Uri($"http://127.0.0.1:{port}");
            await node2.WaitUntilAnswersAsync(new Uri(address, "/health/live"), TimeSpan.FromSeconds(60));
            servers.Add(new Server("node n2", address, node2.Pid));
        }
    }

    public override async Task PublishAsync(int step, double rate, int count, long startUs, string pad)
    {
        var pending = new List<Task>(count);
        for (var n = 0; n < count; n++)
        {
            var due = DueUs(startUs, n, rate);
            await DelayUntilAsync(due);
            // Not awaited one by one: the publisher keeps its schedule (open loop); the channel's own gate
            // orders the publications, and any queueing there shows in the latency (stamped with the due time).
            pending.Add(publisher!.PublishAsync(Channel, "bench", new BenchPayload(step, n, due, pad)));
        }

        await Task.WhenAll(pending);
    }

    public override async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (node2 is not null)
        {
            await node2.DisposeAsync();
        }

        if (node1 is not null)
        {
            await node1.DisposeAsync();
        }

        if (node2Data is not null)
        {
            try
            {
                Directory.Delete(node2Data, recursive: true);
            }
            catch (IOException)
            {
                // the temp folder is cleaned by the OS
            }
        }
    }
}
