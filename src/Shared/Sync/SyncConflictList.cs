using System.Text.Json.Nodes;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Shared.Sync;

/// <summary>One open conflict of a client (<c>GET /api/sync/conflicts?clientId=</c>): its change and the server's side by side.</summary>
/// <param name="EventId">The conflicting event: pass it to <c>POST /api/sync/conflicts/{eventId}/resolve</c>.</param>
/// <param name="EntityType">Its entity type.</param>
/// <param name="EntityId">Its entity.</param>
/// <param name="Operation">CREATE | UPDATE | DELETE.</param>
/// <param name="Reason">As in <see cref="SyncConflict.Reason"/>.</param>
/// <param name="LocalPayload">The fields the client sent.</param>
/// <param name="BaseVersion">The server version the client's change started from.</param>
/// <param name="ServerData">The server's entity now (null when it does not exist).</param>
/// <param name="ConflictingFields">The fields both sides changed, with both values, as found at upload.</param>
/// <param name="CreatedAt">When the server found the conflict.</param>
public sealed record SyncOpenConflict(
    string EventId,
    string EntityType,
    string EntityId,
    string Operation,
    string Reason,
    JsonObject LocalPayload,
    long? BaseVersion,
    EntityDto? ServerData,
    IReadOnlyList<FieldConflict> ConflictingFields,
    DateTimeOffset CreatedAt);

/// <summary>The answer to <c>GET /api/sync/conflicts?clientId=</c>: the client's pending conflicts, oldest first.</summary>
/// <param name="Conflicts">The open conflicts.</param>
public sealed record SyncConflictList(IReadOnlyList<SyncOpenConflict> Conflicts);

/// <summary><c>documents.changes-available</c> data: the tenant's documents changed up to <paramref name="LatestSeq"/>.</summary>
/// <param name="LatestSeq">The newest document change's sequence number.</param>
public sealed record DocumentsChangesAvailable(long LatestSeq);
