using System.Text.Json;
using Microsoft.Playwright;

namespace RealtimeSync.Admin.Tests;

/// <summary>axe-core (npm, tests/node) run in the page; the serious and critical violations it reports.</summary>
internal static class Accessibility
{
    private static readonly Lazy<string> Script = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "tests", "node", "node_modules", "axe-core", "axe.min.js");
            if (File.Exists(path))
            {
                return File.ReadAllText(path);
            }
        }

        throw new InvalidOperationException("axe-core is missing: run npm ci in tests/node (eng/test-servers.sh does).");
    });

    /// <summary>"rule: help (n nodes: selectors)" for every serious or critical violation on the page as it is now.</summary>
    public static async Task<IReadOnlyList<string>> SeriousViolationsAsync(IPage page)
    {
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = Script.Value });
        var json = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const result = await axe.run(document, { resultTypes: ['violations'] });
              return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' ' + (n.any[0]?.message ?? '')).join(' | ')})`);
            }
            """);
        return json.EnumerateArray().Select(e => e.GetString()!).ToList();
    }
}
