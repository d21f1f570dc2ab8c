using System.Diagnostics;
using System.Reflection;

namespace RealtimeSync.Client.Tests;

/// <summary>Runs the real <c>rs</c> (dotnet rs.dll, built beside the tests) as a child process.</summary>
public sealed record RsResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public static class RsProcess
{
    private static readonly string Dll = Path.GetFullPath(typeof(RsProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RsDll").Value!);

    /// <summary>Starts rs with <paramref name="environment"/> (RS_SERVER, RS_TOKEN, RS_DATA) and the arguments.</summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "RS_SERVER", "RS_TOKEN", "RS_DATA" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }

    public static async Task<RsResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return new RsResult(process.ExitCode, await stdout, await stderr);
    }
}
