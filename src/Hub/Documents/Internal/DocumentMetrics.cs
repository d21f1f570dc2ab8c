using System.Diagnostics.Metrics;

namespace RealtimeSync.Hub.Documents.Internal;

/// <summary>Save pipeline instruments on the product meter (tenant is never a tag: unbounded cardinality).</summary>
internal static class DocumentMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");

    public static readonly Counter<long> Callbacks = Meter.CreateCounter<long>("rs.documents.callbacks", description: "ONLYOFFICE callbacks received, by status and outcome");

    public static readonly Counter<long> JobsSpooled = Meter.CreateCounter<long>("rs.save_jobs.spooled", description: "Save jobs created (file spooled and acknowledged)");

    public static readonly Counter<long> JobsCommitted = Meter.CreateCounter<long>("rs.save_jobs.committed", description: "Save jobs committed as a new version");

    public static readonly Counter<long> UploadRetries = Meter.CreateCounter<long>("rs.save_jobs.retries", description: "Upload attempts that failed and will be retried");

    public static readonly Histogram<double> SaveDuration = Meter.CreateHistogram<double>("rs.save_jobs.duration", unit: "ms", description: "Spooled → committed");
}
