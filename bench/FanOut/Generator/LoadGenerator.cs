using System.Diagnostics;
using System.Text.Json;

namespace RealtimeSync.FanOut.Generator;

/// <summary>
/// The subscribers' process (<c>FanOut clients</c>): holds every WebSocket subscriber of the benchmark and
/// answers the benchmark's commands, one JSON line in, one JSON line out. A process of its own so that its
/// CPU and memory are measured apart from the servers'.
/// </summary>
internal sealed class LoadGenerator : IAsyncDisposable
{
    private const int ConnectConcurrency = 50;

    private readonly ReceiptBook receipts = new();
    private readonly Dictionary<string, List<Subscriber>> groups = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stop = new();
    private long maxQueue;

    public static async Task<int> RunAsync(TextReader input, TextWriter output)
    {
        await using var generator = new LoadGenerator();
        var heartbeats = generator.HeartbeatLoopAsync();
        var sampling = generator.SampleLoopAsync();
        while (await input.ReadLineAsync() is { } line)
        {
            GeneratorReply reply;
            try
            {
                var command = JsonSerializer.Deserialize<GeneratorCommand>(line, BenchJson.Options)
                    ?? throw new InvalidOperationException("empty command");
                if (command.Cmd == "exit")
                {
                    break;
                }

                reply = await generator.HandleAsync(command);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
            {
                reply = new GeneratorReply(false, e.Message);
            }

            await output.WriteLineAsync(JsonSerializer.Serialize(reply, BenchJson.Options));
            await output.FlushAsync();
        }

        await generator.stop.CancelAsync();
        await Task.WhenAll(heartbeats, sampling).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync();
        stop.Dispose();
    }

    private async Task<GeneratorReply> HandleAsync(GeneratorCommand command)
    {
        switch (command.Cmd)
        {
            case "connect":
                return await ConnectAsync(command);
            case "stats":
                var deadline = Stopwatch.GetTimestamp() + (command.TimeoutMs * Stopwatch.Frequency / 1000);
                while (receipts.Count(command.Step) < command.Expected && Stopwatch.GetTimestamp() < deadline)
                {
                    await Task.Delay(20);
                }

                return new GeneratorReply(true, Stats: receipts.Stats(command.Step));
            case "health":
                var all = Snapshot(command.Group);
                var failed = all.Where(s => s.Failure is not null).ToList();
                return new GeneratorReply(true, Connected: all.Length - failed.Count, Failed: failed.Count, FirstFailure: failed.FirstOrDefault()?.Failure);
            case "load":
                return new GeneratorReply(true, MaxThreadPoolQueue: Interlocked.Exchange(ref maxQueue, 0));
            case "disconnect":
                var started = Stopwatch.GetTimestamp();
                await DisconnectAsync(command.Group);
                return new GeneratorReply(true, Seconds: Stopwatch.GetElapsedTime(started).TotalSeconds);
            default:
                return new GeneratorReply(false, $"unknown command '{command.Cmd}'");
        }
    }

    private async Task<GeneratorReply> ConnectAsync(GeneratorCommand command)
    {
        var server = new Uri(command.Url ?? throw new ArgumentException("connect needs url"));
        var started = Stopwatch.GetTimestamp();
        var created = Enumerable.Range(0, command.Count).Select(_ => command.Protocol switch
        {
            "signalr" => (Subscriber)new SignalRSubscriber(receipts, command.Channel ?? throw new ArgumentException("signalr needs channel")),
            "signalr-msgpack" => new MessagePackSubscriber(receipts, command.Channel ?? throw new ArgumentException("signalr-msgpack needs channel")),
            "socketio" => new SocketIoSubscriber(receipts, command.Channel ?? throw new ArgumentException("socketio needs channel")),
            _ => throw new ArgumentException($"unknown protocol '{command.Protocol}'"),
        }).ToList();
        var address = command.Protocol is "signalr" or "signalr-msgpack"
            ? SignalRSubscriber.Address(server, command.Token ?? throw new ArgumentException("signalr needs token"))
            : SocketIoSubscriber.Address(server);

        var failures = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Parallel.ForEachAsync(created, new ParallelOptions { MaxDegreeOfParallelism = ConnectConcurrency, CancellationToken = timeout.Token }, async (subscriber, ct) =>
        {
            try
            {
                await subscriber.ConnectAsync(address, ct);
            }
            catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or InvalidOperationException or OperationCanceledException)
            {
                lock (failures)
                {
                    failures.Add(e.Message);
                }
            }
        });

        lock (groups)
        {
            if (!groups.TryGetValue(command.Group, out var group))
            {
                groups[command.Group] = group = [];
            }

            group.AddRange(created);
        }

        return new GeneratorReply(
            failures.Count == 0,
            failures.Count == 0 ? null : $"{failures.Count} of {command.Count} did not subscribe",
            Connected: command.Count - failures.Count,
            Failed: failures.Count,
            FirstFailure: failures.FirstOrDefault(),
            Seconds: Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Closes the group's subscribers; with no group, everybody's.</summary>
    private async Task DisconnectAsync(string? group = null)
    {
        var all = Snapshot(group);
        lock (groups)
        {
            if (group is null)
            {
                groups.Clear();
            }
            else
            {
                groups.Remove(group);
            }
        }

        await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = ConnectConcurrency }, async (s, _) => await s.DisposeAsync());
    }

    private Subscriber[] Snapshot(string? group = null)
    {
        lock (groups)
        {
            return group is null ? [.. groups.Values.SelectMany(g => g)] : groups.TryGetValue(group, out var members) ? [.. members] : [];
        }
    }

    /// <summary>SignalR pings every 10 s, spread over the interval so they are never a burst.</summary>
    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var next = 0;
        while (await timer.WaitForNextTickAsync(stop.Token))
        {
            var current = Snapshot();
            var batch = (current.Length / 100) + 1;
            for (var i = 0; i < batch && current.Length > 0; i++)
            {
                _ = current[next++ % current.Length].HeartbeatAsync();
            }
        }
    }

    /// <summary>Largest thread-pool backlog: a growing queue would mean the generator lags behind its sockets.</summary>
    private async Task SampleLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (await timer.WaitForNextTickAsync(stop.Token))
        {
            var queue = ThreadPool.PendingWorkItemCount;
            if (queue > Interlocked.Read(ref maxQueue))
            {
                Interlocked.Exchange(ref maxQueue, queue);
            }
        }
    }
}
