using System.Diagnostics;
using System.Text.Json;
using RealtimeSync.FanOut.Generator;

namespace RealtimeSync.FanOut;

/// <summary>The subscribers' process (<see cref="LoadGenerator"/>), started from this same assembly, and its command channel.</summary>
internal sealed class GeneratorProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Queue<string> errors = new();

    private GeneratorProcess(Process process) => this.process = process;

    public int Pid => process.Id;

    public static GeneratorProcess Start(string? pidFile)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(typeof(GeneratorProcess).Assembly.Location);
        info.ArgumentList.Add("clients");
        // Socket completions run on the socket engine's threads instead of being queued to the thread pool:
        // the receive path is short and never blocks, so this saves a thread-pool hop per received frame.
        // Only this process; the servers keep their defaults. RS_FANOUT_GENERATOR_INLINE=0 turns it off.
        info.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = Environment.GetEnvironmentVariable("RS_FANOUT_GENERATOR_INLINE") is "0" ? "0" : "1";
        var generator = new GeneratorProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the generator"));
        generator.process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (generator.errors)
                {
                    generator.errors.Enqueue(line);
                    if (generator.errors.Count > 40)
                    {
                        generator.errors.Dequeue();
                    }
                }
            }
        };
        generator.process.BeginErrorReadLine();
        if (pidFile is not null)
        {
            File.AppendAllText(pidFile, $"{generator.Pid}\n");
        }

        return generator;
    }

    public async Task<GeneratorReply> SendAsync(GeneratorCommand command)
    {
        await gate.WaitAsync();
        try
        {
            await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(command, BenchJson.Options));
            await process.StandardInput.FlushAsync();
            var line = await process.StandardOutput.ReadLineAsync();
            if (line is null)
            {
                string stderr;
                lock (errors)
                {
                    stderr = string.Join('\n', errors);
                }

                throw new InvalidOperationException($"the generator exited:\n{stderr}");
            }

            return JsonSerializer.Deserialize<GeneratorReply>(line, BenchJson.Options)!;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<GeneratorReply> RequireAsync(GeneratorCommand command)
    {
        var reply = await SendAsync(command);
        return reply.Ok ? reply : throw new InvalidOperationException($"generator {command.Cmd}: {reply.Error} (first failure: {reply.FirstFailure})");
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            try
            {
                await process.StandardInput.WriteLineAsync("{\"cmd\":\"exit\"}");
                await process.StandardInput.FlushAsync();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                process.Kill();
            }
        }

        process.Dispose();
        gate.Dispose();
    }
}
