using System.Diagnostics;
using System.Text.RegularExpressions;

namespace RealtimeSync.Admin.Tests.Sites;

/// <summary>wwwroot/realtime-sync.d.ts declares every export of realtime-sync.js, and a site's usage of them type-checks.</summary>
public sealed class TypeDeclarationsTests
{
    private static readonly string Root = SiteHost.RepositoryRoot();

    [Fact]
    public async Task The_usage_file_type_checks_against_the_declarations_with_tsc_no_emit()
    {
        var (code, output) = await RunAsync("node", SiteHost.NodeModule("typescript", "bin", "tsc"), "--noEmit", "-p", Path.Combine(Root, "tests", "node", "types"));
        Assert.True(code == 0, $"tsc --noEmit failed ({code}):\n{output}");
    }

    [Fact]
    public async Task Every_export_of_the_module_is_declared_and_used_by_the_usage_file()
    {
        var module = new Uri(Path.Combine(Root, "wwwroot", "realtime-sync.js")).AbsoluteUri;
        var (code, output) = await RunAsync("node", "--input-type=module", "-e", $"const m = await import('{module}'); console.log(Object.keys(m).sort().join(' '));");
        Assert.True(code == 0, output);
        var exports = output.Trim().Split(' ');
        Assert.Contains("liveCollection", exports);

        var declarations = await File.ReadAllTextAsync(Path.Combine(Root, "wwwroot", "realtime-sync.d.ts"));
        var declared = Regex.Matches(declarations, @"^export (?:declare )?(?:function|const|class) (\w+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        var usage = await File.ReadAllTextAsync(Path.Combine(Root, "tests", "node", "types", "usage.ts"));
        foreach (var name in exports)
        {
            Assert.True(declared.Contains(name), $"{name} is exported by realtime-sync.js but not declared in realtime-sync.d.ts");
            Assert.True(Regex.Matches(usage, $@"\b{name}\b").Count >= 2, $"{name} is not imported and used by tests/node/types/usage.ts");
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
