using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace RealtimeSync.Hub.Tests.Realtime;

/// <summary>
/// A real subscriber: <c>node tests/node/subscriber.mjs</c>, i.e. the product's browser client
/// (wwwroot/realtime-sync.js) over the real @microsoft/signalr package, reporting what it does as JSON
/// lines. Every wait is bounded; the process is always killed on dispose.
/// </summary>
public sealed class NodeSubscriber : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly Process process;
    private readonly List<JsonElement> events = [];
    private readonly StringBuilder stderr = new();
    private readonly object gate = new();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool exited;

    private NodeSubscriber(Process process)
    {
        this.process = process;
    }

    public static NodeSubscriber Start(Uri hubUrl, string token, IEnumerable<string> channels, bool proxy = false, bool messagePack = false)
    {
        var root = RepositoryRoot();
        var script = Path.Combine(root, "tests", "node", "subscriber.mjs");
        if (!Directory.Exists(Path.Combine(root, "tests", "node", "node_modules", "@microsoft", "signalr")))
        {
            throw new InvalidOperationException("tests/node/node_modules has no @microsoft/signalr: run the README test command (eng/test-servers.sh runs npm ci in tests/node).");
        }

        var info = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--url");
        info.ArgumentList.Add(hubUrl.ToString());
        info.ArgumentList.Add("--token");
        info.ArgumentList.Add(token);
        foreach (var channel in channels)
        {
            info.ArgumentList.Add("--channel");
            info.ArgumentList.Add(channel);
        }

        if (messagePack)
        {
            info.ArgumentList.Add("--messagepack");
        }

        if (proxy)
        {
            info.ArgumentList.Add("--proxy");

            // The product default caps the backoff at 10 s; a test waits at most 15 s for the reconnect.
            info.ArgumentList.Add("--max-retry-ms");
            info.ArgumentList.Add("1000");
        }

        var process = new Process { StartInfo = info };
        var subscriber = new NodeSubscriber(process);
        process.OutputDataReceived += (_, e) => subscriber.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => subscriber.OnStderr(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("node did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return subscriber;
    }

    /// <summary>Every event so far, in arrival order.</summary>
    public IReadOnlyList<JsonElement> Events
    {
        get
        {
            lock (gate)
            {
                return [.. events];
            }
        }
    }

    public IReadOnlyList<JsonElement> Publications => Events.Where(e => Is(e, "publication")).ToList();

    public static bool Is(JsonElement e, string name) => e.GetProperty("event").GetString() == name;

    public async Task SendAsync(string command)
    {
        await process.StandardInput.WriteLineAsync(command);
        await process.StandardInput.FlushAsync();
    }

    /// <summary>The first event (from the start) that matches.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, string what, TimeSpan? timeout = null) =>
        (await WaitForCountAsync(match, 1, what, timeout))[0];

    /// <summary>Waits until <paramref name="count"/> events match; returns them in order.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForCountAsync(Func<JsonElement, bool> match, int count, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            Task next;
            lock (gate)
            {
                var found = events.Where(match).ToList();
                if (found.Count >= count)
                {
                    return found;
                }

                if (exited)
                {
                    throw new Xunit.Sdk.XunitException($"The subscriber exited before {what}.\n{Transcript()}");
                }

                next = changed.Task;
            }

            try
            {
                await next.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds} s waiting for {what}.\n{Transcript()}");
            }
        }
    }

    public Task<JsonElement> WaitForEventAsync(string name, string what) => WaitForAsync(e => Is(e, name), what);

    /// <summary>Events and the tail of stderr, for failure messages.</summary>
    public string Transcript()
    {
        lock (gate)
        {
            var err = stderr.ToString();
            return "events:\n" + string.Join('\n', events.Select(e => e.GetRawText())) + "\nstderr (tail):\n" + (err.Length > 4000 ? err[^4000..] : err);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                await SendAsync("quit");
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await process.WaitForExitAsync(cts.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // stdin already closed or the process hangs: killed below
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            OnExited(); // end of stdout: the process is gone (or closing), after its last line
            return;
        }

        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        JsonElement parsed;
        try
        {
            using var document = JsonDocument.Parse(line);
            parsed = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            OnStderr("(stdout, not JSON) " + line);
            return;
        }

        lock (gate)
        {
            events.Add(parsed);
            Pulse();
        }
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (gate)
        {
            stderr.AppendLine(line);
        }
    }

    private void OnExited()
    {
        lock (gate)
        {
            exited = true;
            Pulse();
        }
    }

    private void Pulse()
    {
        var previous = changed;
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RealtimeSync.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No RealtimeSync.sln above {AppContext.BaseDirectory}.");
    }
}
