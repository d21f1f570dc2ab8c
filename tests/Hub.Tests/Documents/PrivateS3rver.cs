using System.Diagnostics;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Documents;

/// <summary>An s3rver of the test's own (RS_TEST_S3RVER_CMD) that it can stop and start again on the same port and data.</summary>
public sealed class PrivateS3rver : IAsyncDisposable
{
    public const string Bucket = "rs-private";

    private readonly int port = TestServers.FreePort();
    private readonly string dataDir = Directory.CreateTempSubdirectory("rs-s3rver-").FullName;
    private Process? process;

    public string Url => $"http://127.0.0.1:{port}";

    public Dictionary<string, string?> Settings() => new()
    {
        ["Storage:S3:ServiceUrl"] = Url,
        ["Storage:S3:Bucket"] = Bucket,
        ["Storage:S3:AccessKey"] = "S3RVER",
        ["Storage:S3:SecretKey"] = "S3RVER",
        ["Storage:S3:ForcePathStyle"] = "true",
    };

    public static async Task<PrivateS3rver> StartAsync()
    {
        var s3 = new PrivateS3rver();
        await s3.StartAgainAsync();
        return s3;
    }

    public async Task StartAgainAsync()
    {
        var command = Environment.GetEnvironmentVariable("RS_TEST_S3RVER_CMD") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("RS_TEST_S3RVER_CMD is not set: run the tests with the README test command (./test.sh).");
        var parts = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var info = new ProcessStartInfo(parts[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var part in parts.Skip(1).Concat(["-d", dataDir, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-a", "127.0.0.1", "-s", "--configure-bucket", Bucket]))
        {
            info.ArgumentList.Add(part);
        }

        process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                using var response = await http.GetAsync($"{Url}/{Bucket}");
                if ((int)response.StatusCode < 500)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"s3rver did not start on port {port}");
    }

    public void Stop()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        process?.Dispose();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans /tmp
        }

        return ValueTask.CompletedTask;
    }
}
