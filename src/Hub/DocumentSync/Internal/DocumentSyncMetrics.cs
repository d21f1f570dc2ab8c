using System.Diagnostics.Metrics;

namespace RealtimeSync.Hub.DocumentSync.Internal;

/// <summary>Instruments of document sync and downloads on the product's meter (tenant is never a tag).</summary>
internal static class DocumentSyncMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");

    /// <summary>Pages answered, tagged outcome = page | not_modified | reset.</summary>
    public static readonly Counter<long> Pages = Meter.CreateCounter<long>("rs.document_sync.pages");

    /// <summary>Document rows returned in pages, tagged kind = added | modified | deleted.</summary>
    public static readonly Counter<long> Rows = Meter.CreateCounter<long>("rs.document_sync.rows");

    public static readonly Counter<long> TombstonesPurged = Meter.CreateCounter<long>("rs.document_sync.tombstones_purged");

    public static readonly Counter<long> DownloadUrls = Meter.CreateCounter<long>("rs.document_downloads.urls");

    /// <summary>Blob bytes streamed into batch-download archives.</summary>
    public static readonly Counter<long> ZipBytes = Meter.CreateCounter<long>("rs.document_downloads.zip_bytes", unit: "By");
}
