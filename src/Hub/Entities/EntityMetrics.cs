using System.Diagnostics.Metrics;

namespace RealtimeSync.Hub.Entities;

/// <summary>Entity instruments on the product meter (exported at /metrics).</summary>
public static class EntityMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");

    /// <summary>Same-field conflicts found by the smart merge, by the type's policy (Reject: refused with 409; LastWriterWins: applied, reported).</summary>
    public static readonly Counter<long> MergeConflicts = Meter.CreateCounter<long>("rs.entities.merge_conflicts", description: "Same-field merge conflicts by conflict policy");
}
