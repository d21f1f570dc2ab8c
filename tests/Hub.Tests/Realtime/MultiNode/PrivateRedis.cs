using System.Diagnostics;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.MultiNode;

/// <summary>A redis-server of the test's own that it can stop and start again; it keeps its data (append-only file) like a production Redis.</summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private readonly int port = TestServers.FreePort();
    private readonly string dataDir = Directory.CreateTempSubdirectory("rs-redis-").FullName;
    private Process? process;

    public string Configuration => $"127.0.0.1:{port},connectTimeout=1000,syncTimeout=1000";

    public static async Task<PrivateRedis> StartAsync()
    {
        var redis = new PrivateRedis();
        await redis.StartAgainAsync();
        return redis;
    }

    /// <param name="keepData">False: it comes back empty, as a Redis without persistence (or a lost disk) would.</param>
    public async Task StartAgainAsync(bool keepData = true)
    {
        if (!keepData)
        {
            Directory.Delete(dataDir, recursive: true);
            Directory.CreateDirectory(dataDir);
        }

        process = Process.Start(new ProcessStartInfo(TestServers.RedisServerBinary,
            $"--bind 127.0.0.1 --port {port} --save \"\" --appendonly yes --appendfsync always --dir {dataDir}") { RedirectStandardOutput = true })!;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"redis-server did not start on port {port}");
    }

    public void Stop()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        if (Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
