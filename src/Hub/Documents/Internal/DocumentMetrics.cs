using System.Diagnostics.Metrics;

namespace RealtimeSync.Hub.Documents.Internal;

/// <summary>Save pipeline instruments on the product meter (tenant is never a tag: unbounded cardinality).</summary>
internal static class DocumentMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");

    public static readonly Counter<long> Callbacks = Meter.CreateCounter<long>("rs.documents.callbacks", description: "ONLYOFFICE callbacks received, by status and outcome");

    public static readonly Counter<long> JobsSpooled = Meter.CreateCounter<long>("rs.save_jobs.spooled", description: "Save jobs created (file spooled and acknowledged)");

    public static readonly Counter<long> JobsCommitted = Meter.CreateCounter<long>("rs.save_jobs.committed", description: "Save jobs committed as a new version");

    public static readonly Counter<long> JobsFailed = Meter.CreateCounter<long>("rs.save_jobs.failed", description: "Save jobs given up (their document no longer exists)");

    public static readonly Counter<long> UploadRetries = Meter.CreateCounter<long>("rs.save_jobs.retries", description: "Upload attempts that failed and will be retried");

    private static int pending;

    /// <summary>Pending save jobs whose spooled file this node holds, as its save worker saw them on its last pass.</summary>
    public static int Pending
    {
        get => Volatile.Read(ref pending);
        set => Volatile.Write(ref pending, value);
    }

    public static readonly ObservableGauge<int> JobsPending = Meter.CreateObservableGauge("rs.save_jobs.pending", () => Pending, description: "Pending save jobs whose spooled file is on this node (last worker pass)");

    private static long oldestAgeBits;

    /// <summary>Age in seconds of the oldest of those jobs (0 when none), as of the worker's last pass.</summary>
    public static double OldestPendingAgeSeconds
    {
        get => BitConverter.Int64BitsToDouble(Interlocked.Read(ref oldestAgeBits));
        set => Interlocked.Exchange(ref oldestAgeBits, BitConverter.DoubleToInt64Bits(value));
    }

    public static readonly ObservableGauge<double> OldestPendingAge = Meter.CreateObservableGauge("rs.save_jobs.oldest_pending_age", () => OldestPendingAgeSeconds, unit: "s", description: "Age of the oldest pending save job whose spooled file is on this node (last worker pass)");

    public static readonly Histogram<double> SaveDuration = Meter.CreateHistogram<double>("rs.save_jobs.duration", unit: "ms", description: "Spooled → committed");
}
