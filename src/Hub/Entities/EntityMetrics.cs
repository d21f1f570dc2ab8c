using System.Diagnostics.Metrics;

namespace RealtimeSync.Hub.Entities;

/// <summary>Entity instruments on the product meter (exported at /metrics).</summary>
public static class EntityMetrics
{
    private static readonly Meter Meter = new("RealtimeSync");

    /// <summary>Same-field conflicts found by the smart merge, by the type's policy (Reject: refused with 409; LastWriterWins: applied, reported).</summary>
    public static readonly Counter<long> MergeConflicts = Meter.CreateCounter<long>("rs.entities.merge_conflicts", description: "Same-field merge conflicts by conflict policy");

    /// <summary>Counts the same-field conflicts of an update that the merge found (applied or refused).</summary>
    public static void Conflicts(RealtimeSync.Shared.Entities.EntityTypeSchema schema, WriteOutcome outcome)
    {
        if (outcome.Merge is { Conflicts.Count: > 0 } merged && outcome.Status is WriteStatus.Conflict or WriteStatus.Applied)
        {
            MergeConflicts.Add(merged.Conflicts.Count, new KeyValuePair<string, object?>("policy", schema.ConflictPolicy.ToString()));
        }
    }
}
