using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace RealtimeSync.ConnectionMemory;

/// <summary>Bytes and count of live objects per type.</summary>
internal sealed record TypeTotal(long Bytes, long Count);

/// <summary>
/// Live managed objects of another process, by type. The process is suspended while its heap is read;
/// "live" means reachable from the runtime's roots (marked here), so garbage not yet collected is left out.
/// </summary>
internal static class HeapSnapshot
{
    public static int Write(int pid, string file)
    {
        using var target = DataTarget.AttachToProcess(pid, suspend: true);
        var heap = target.ClrVersions[0].CreateRuntime().Heap;
        var live = new HashSet<ulong>();
        var pending = new Stack<ulong>();
        foreach (var root in heap.EnumerateRoots())
        {
            if (root.Object.Address != 0 && live.Add(root.Object.Address))
            {
                pending.Push(root.Object.Address);
            }
        }

        while (pending.TryPop(out var address))
        {
            var obj = heap.GetObject(address);
            if (!obj.IsValid)
            {
                continue;
            }

            foreach (var reference in obj.EnumerateReferenceAddresses(carefully: true))
            {
                if (reference != 0 && live.Add(reference))
                {
                    pending.Push(reference);
                }
            }
        }

        var totals = new Dictionary<string, TypeTotal>(StringComparer.Ordinal);
        foreach (var address in live)
        {
            var obj = heap.GetObject(address);
            if (obj.IsValid && obj.Type?.Name is { } name)
            {
                var total = totals.GetValueOrDefault(name, new TypeTotal(0, 0));
                totals[name] = new TypeTotal(total.Bytes + (long)obj.Size, total.Count + 1);
            }
        }

        using var writer = new StreamWriter(file);
        foreach (var (name, total) in totals.OrderByDescending(t => t.Value.Bytes))
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{total.Bytes}\t{total.Count}\t{name}"));
        }

        Console.Error.WriteLine($"[memory] {live.Count:N0} live objects, {totals.Values.Sum(t => t.Bytes):N0} bytes");
        return 0;
    }

    public static Dictionary<string, TypeTotal> Read(string file) =>
        File.ReadLines(file)
            .Select(line => line.Split('\t', 3))
            .ToDictionary(
                parts => parts[2],
                parts => new TypeTotal(long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture)),
                StringComparer.Ordinal);
}
