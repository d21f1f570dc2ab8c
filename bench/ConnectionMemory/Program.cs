using System.Globalization;
using RealtimeSync.ConnectionMemory;

// snapshot PID FILE             live managed objects of the process, by type (TSV: bytes, count, type)
// compare BEFORE AFTER N        per-connection difference of two snapshots, by area and by type
return args switch
{
    ["snapshot", var pid, var file] when int.TryParse(pid, CultureInfo.InvariantCulture, out var id) => HeapSnapshot.Write(id, file),
    ["compare", var before, var after, var n] when int.TryParse(n, CultureInfo.InvariantCulture, out var count) && count > 0 =>
        Comparison.Print(HeapSnapshot.Read(before), HeapSnapshot.Read(after), count, Console.Out),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: ConnectionMemory snapshot PID FILE | compare BEFORE.tsv AFTER.tsv CONNECTIONS");
    return 2;
}
