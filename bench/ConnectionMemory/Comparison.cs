using System.Globalization;

namespace RealtimeSync.ConnectionMemory;

/// <summary>Per-connection growth of the live heap between two snapshots, grouped by the layer that owns it.</summary>
internal static class Comparison
{
    // First match wins: more specific names before the generic ones.
    private static readonly (string Fragment, string Area)[] Areas =
    [
        ("RealtimeSync", "RealtimeSync (subscriptions, presence)"),
        ("Kestrel", "Kestrel (socket connection, HTTP/1.1 request, headers)"),
        ("Http.Connections", "SignalR transport (HttpConnectionContext, WebSocket transport)"),
        ("SignalR", "SignalR hub connection"),
        ("Authentication", "authentication / authorization / claims"),
        ("Authorization", "authentication / authorization / claims"),
        ("Claims", "authentication / authorization / claims"),
        ("IdentityModel", "authentication / authorization / claims"),
        ("Pipelines", "System.IO.Pipelines (4 pipes per connection)"),
        ("WebSockets", "WebSocket"),
        ("System.Net.Sockets", "sockets"),
        ("AspNetCore.Http", "HttpContext"),
        ("Serilog", "logging scopes"),
        ("System.String", "strings (headers, ids, claim values)"),
        ("System.Byte[]", "byte[] (pooled buffers)"),
        ("StateMachineBox", "async state machines (other)"),
    ];

    public static int Print(IReadOnlyDictionary<string, TypeTotal> before, IReadOnlyDictionary<string, TypeTotal> after, int connections, TextWriter output)
    {
        var rows = after
            .Select(kv => (Type: kv.Key, Bytes: (double)(kv.Value.Bytes - before.GetValueOrDefault(kv.Key, new TypeTotal(0, 0)).Bytes) / connections,
                Count: (double)(kv.Value.Count - before.GetValueOrDefault(kv.Key, new TypeTotal(0, 0)).Count) / connections))
            .ToList();
        var total = rows.Sum(r => r.Bytes);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"live managed bytes per connection: {total:0} ({total / 1024:0.0} KiB), {connections} connections"));
        output.WriteLine();
        output.WriteLine("| area | bytes per connection |");
        output.WriteLine("|---|---:|");
        foreach (var (area, bytes) in rows.GroupBy(r => AreaOf(r.Type)).Select(g => (g.Key, g.Sum(r => r.Bytes))).OrderByDescending(g => g.Item2))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {area} | {bytes:0} |"));
        }

        output.WriteLine();
        output.WriteLine("| type | bytes per connection | objects per connection |");
        output.WriteLine("|---|---:|---:|");
        foreach (var row in rows.OrderByDescending(r => r.Bytes).Take(25))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `{(row.Type.Length > 110 ? row.Type[..110] + "…" : row.Type)}` | {row.Bytes:0} | {row.Count:0.00} |"));
        }

        return 0;
    }

    private static string AreaOf(string type) =>
        Areas.FirstOrDefault(a => type.Contains(a.Fragment, StringComparison.Ordinal)).Area ?? "other (collections, tasks, cancellation, locks…)";
}
