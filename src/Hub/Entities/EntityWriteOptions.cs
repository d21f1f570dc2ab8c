namespace RealtimeSync.Hub.Entities;

/// <summary>How single entity writes reach the database (section <c>Entities</c>).</summary>
public sealed class EntityWriteOptions
{
    /// <summary>
    /// true: on PostgreSQL an edit without receipts is one statement conditional on the version it was decided on
    /// (<see cref="EntityStatement"/>); on SQLite it is plain statements on the writer thread
    /// (<see cref="SqliteEntityStatements"/>). false: every edit is a transaction through EF Core (row-locking on
    /// PostgreSQL), as before issue 17's latency work. Kept for the benchmarks' before/after; not for production.
    /// </summary>
    public bool OneStatementEdits { get; set; } = true;

    /// <summary>
    /// Rows this node keeps after its one-statement edits, to decide the next edit of the same entity without reading
    /// it first (<see cref="EntityRowCache"/>); 0 turns it off.
    /// </summary>
    public int CachedRows { get; set; } = 4096;
}
