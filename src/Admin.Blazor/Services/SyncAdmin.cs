namespace RealtimeSync.Admin.Services;

/// <summary>
/// The backoffice's view of offline sync: clients, conflicts (with their resolution), the sync log and per-tenant
/// figures. Implemented by the host over the same service as <c>/api/sync</c>.
/// </summary>
public interface ISyncAdmin
{
    /// <summary>The tenant's sync clients, most recently seen first.</summary>
    Task<IReadOnlyList<SyncClientInfo>> ClientsAsync(string tenant, CancellationToken ct = default);

    /// <summary>Conflicts, newest first; only pending ones unless <paramref name="includeResolved"/>.</summary>
    Task<IReadOnlyList<SyncConflictInfo>> ConflictsAsync(string tenant, bool includeResolved, CancellationToken ct = default);

    /// <summary>
    /// Resolves a conflict: <c>accept-server</c>, <c>keep-local</c>, or <c>merge</c> with <paramref name="mergedFields"/>
    /// (field → JSON value). Null when done, otherwise why not (already resolved, invalid values…).
    /// </summary>
    Task<string?> ResolveAsync(string tenant, string clientId, string eventId, string resolution, IReadOnlyDictionary<string, string>? mergedFields, string actor, CancellationToken ct = default);

    /// <summary>The newest sync log entries that match <paramref name="filter"/>.</summary>
    Task<IReadOnlyList<SyncLogEntry>> LogAsync(string tenant, SyncLogFilter filter, CancellationToken ct = default);

    /// <summary>Per-tenant figures over the last <paramref name="hours"/> hours.</summary>
    Task<SyncStats> StatsAsync(string tenant, int hours, CancellationToken ct = default);
}

/// <param name="CursorAt">When the change at the client's cursor was made (how old its copy is), null before its first pull.</param>
/// <param name="ChangesBehind">Changes committed after the client's cursor.</param>
public sealed record SyncClientInfo(
    string ClientId,
    DateTimeOffset LastSeenAt,
    DateTimeOffset? LastUpAt,
    DateTimeOffset? LastDownAt,
    DateTimeOffset? CursorAt,
    long ChangesBehind,
    int PendingConflicts);

/// <param name="LocalFields">The client's values, field → JSON text.</param>
/// <param name="ServerFields">The server's values when the conflict was found, field → JSON text (empty when the entity did not exist).</param>
/// <param name="CurrentFields">The server's values now, field → JSON text.</param>
public sealed record SyncConflictInfo(
    string ClientId,
    string EventId,
    string EntityType,
    string EntityId,
    string Operation,
    string Reason,
    long? BaseVersion,
    long? ServerVersion,
    IReadOnlyList<string> ConflictingFields,
    IReadOnlyDictionary<string, string> LocalFields,
    IReadOnlyDictionary<string, string> ServerFields,
    IReadOnlyDictionary<string, string> CurrentFields,
    string Status,
    string? Resolution,
    string? ResolvedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ResolvedAt);

public sealed record SyncLogFilter(string? ClientId = null, string? Direction = null, string? Status = null, int Limit = 200);

public sealed record SyncLogEntry(
    long Id,
    DateTimeOffset At,
    string ClientId,
    string Direction,
    string Status,
    int Events,
    int Acknowledged,
    int Conflicts,
    int Rejected,
    int Changes,
    int DurationMs,
    string? Error);

public sealed record SyncStats(
    int Clients,
    int Requests,
    int FailedRequests,
    int EventsUploaded,
    int ChangesDownloaded,
    int ConflictsReported,
    int PendingConflicts,
    double AverageDurationMs);
