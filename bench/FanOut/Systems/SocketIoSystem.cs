using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using RealtimeSync.Testing;

namespace RealtimeSync.FanOut.Systems;

/// <summary>
/// The peer: two Socket.IO 4.8 servers (bench/socketio/server.js) on @socket.io/redis-adapter and the same
/// Redis; subscribers split evenly. Server 1 publishes: the benchmark tells it the schedule and its timer
/// loop emits to the room through the adapter, as the product's node 1 publishes through its publisher.
/// </summary>
internal sealed class SocketIoSystem(BenchOptions options) : FanOutSystem
{
    private readonly List<Server> servers = [];
    private readonly List<ChildProcess> processes = [];
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private bool disposed;

    public override string Name => "socketio";

    public override string Description => "Socket.IO 4.8 + @socket.io/redis-adapter 8.3, 2 Node.js processes on Redis (server 1 publishes)";

    public override string Protocol => "socketio";

    public override string Channel => "bench";

    public override IReadOnlyList<Server> Servers => servers;

    public override IReadOnlyList<Watched> Backing => options.RedisPid is { } pid ? [new Watched("redis", pid)] : [];

    public override async Task StartAsync()
    {
        var folder = Path.GetFullPath(options.SocketIoFolder ?? Path.Combine(Repository.Root(), "bench", "socketio"));
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "socket.io")))
        {
            throw new InvalidOperationException($"{folder}/node_modules is missing: run `npm ci` there (bench/run-fan-out.sh does).");
        }

        var key = $"bench-sio-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        for (var i = 1; i <= 2; i++)
        {
            var port = TestServers.FreePort();
            var process = ChildProcess.Start("node", [Path.Combine(folder, "server.js")], new Dictionary<string, string>
            {
                ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["REDIS_URL"] = $"redis://{options.Redis}",
                ["REDIS_KEY"] = key,
                ["NODE_ENV"] = "production",
            }, folder, options.PidFile);
            processes.Add(process);
            var address = new Uri($"http://127.0.0.1:{port}");
            await process.WaitUntilAnswersAsync(new Uri(address, "/health"), TimeSpan.FromSeconds(30));
            servers.Add(new Server($"socket.io s{i}", address, process.Pid));
        }

        await CheckClockAsync();
    }

    public override async Task PublishAsync(int step, double rate, int count, long startUs, string pad)
    {
        var query = string.Create(CultureInfo.InvariantCulture, $"/publish?step={step}&rate={rate:R}&count={count}&start={startUs}&pad={pad.Length}");
        using var response = await http.PostAsync(new Uri(servers[0].Address, query), null);
        response.EnsureSuccessStatusCode();
        await DelayUntilAsync(DueUs(startUs, count - 1, rate));
    }

    public override async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }

        http.Dispose();
    }

    /// <summary>
    /// Latency subtracts a due time stamped by Node (process.hrtime) from a receipt time stamped by .NET
    /// (Stopwatch): both must read CLOCK_MONOTONIC. Node's reading must fall between two of ours.
    /// </summary>
    private async Task CheckClockAsync()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var before = MonotonicClock.NowUs();
            var reply = await http.GetFromJsonAsync<ClockReply>(new Uri(servers[0].Address, "/clock"));
            var after = MonotonicClock.NowUs();
            if (reply is { } clock && clock.NowUs >= before && clock.NowUs <= after)
            {
                return;
            }
        }

        throw new InvalidOperationException("Node's process.hrtime and .NET's Stopwatch do not read the same clock here: latencies would be meaningless.");
    }

    private sealed record ClockReply(long NowUs);
}
