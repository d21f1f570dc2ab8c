using System.Text.Json.Nodes;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Shared.Sync;

/// <summary>What an outbox event does to its entity.</summary>
public enum SyncOperation
{
    /// <summary>Creates the entity with the payload's fields.</summary>
    Create,

    /// <summary>Merge-patches the payload's fields onto the entity, from <see cref="SyncEvent.BaseVersion"/>.</summary>
    Update,

    /// <summary>Soft-deletes the entity (refused as a conflict when it changed since the base version).</summary>
    Delete,
}

/// <summary>One event of a client's offline outbox (<c>POST /api/sync/up</c>).</summary>
/// <param name="Id">Client-generated, unique per client: the idempotency key.</param>
/// <param name="TenantId">Must be the token's tenant.</param>
/// <param name="EntityType">An entity type of the tenant.</param>
/// <param name="EntityId">The entity's id.</param>
/// <param name="Operation">Create, update or delete.</param>
/// <param name="Payload">Field values (the changed ones for an update); empty for a delete.</param>
/// <param name="BaseVersion">The server version the client's copy was at (<c>localVersion</c> is accepted for it).</param>
/// <param name="CreatedAt">The client's clock when the event was recorded: informational only, never used to order.</param>
public sealed record SyncEvent(
    string Id,
    string TenantId,
    string EntityType,
    string EntityId,
    SyncOperation Operation,
    JsonObject Payload,
    long? BaseVersion,
    DateTimeOffset? CreatedAt);

/// <summary>An event the server applied (or found already so).</summary>
/// <param name="EventId">The event.</param>
/// <param name="EntityType">Its entity type.</param>
/// <param name="EntityId">Its entity (the server's id).</param>
/// <param name="ServerVersion">The entity's version after the event.</param>
/// <param name="Status">created | applied | no-change | deleted.</param>
/// <param name="Merged">Fields others changed since the base version that the event left as they are.</param>
/// <param name="Preserved">Fields the event sent that the server never takes from a client.</param>
/// <param name="Overwritten">Same-field conflicts a last-writer-wins type applied anyway.</param>
/// <param name="Seq">The change's position in the tenant's log (null when nothing changed).</param>
public sealed record SyncAcknowledged(
    string EventId,
    string EntityType,
    string EntityId,
    long ServerVersion,
    string Status,
    IReadOnlyList<string> Merged,
    IReadOnlyList<string> Preserved,
    IReadOnlyList<FieldConflict> Overwritten,
    long? Seq);

/// <summary>An event the server did not apply because the entity changed under it; kept pending until resolved.</summary>
/// <param name="EventId">The event.</param>
/// <param name="EntityType">Its entity type.</param>
/// <param name="EntityId">Its entity.</param>
/// <param name="Reason">field-conflict | entity-changed (delete of a changed entity) | entity-deleted | entity-exists | entity-missing.</param>
/// <param name="ServerData">The server's entity when the conflict was found (null when it does not exist).</param>
/// <param name="ConflictingFields">The fields both sides changed, with both values.</param>
public sealed record SyncConflict(
    string EventId,
    string EntityType,
    string EntityId,
    string Reason,
    EntityDto? ServerData,
    IReadOnlyList<FieldConflict> ConflictingFields);

/// <summary>An event refused for good (retrying it cannot help); it never blocks the client's later events.</summary>
/// <param name="EventId">The event (null when it had no usable id). A refusal for the event's shape (invalid-event) is never stored, so the corrected event can be sent under the same id.</param>
/// <param name="Index">Position of the event in the batch.</param>
/// <param name="Reason">invalid-event | unknown-entity-type | invalid-payload.</param>
/// <param name="Errors">Field → messages, the field named as in the event (<c>payload.name</c>, <c>operation</c>…).</param>
public sealed record SyncRejected(string? EventId, int Index, string Reason, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>The answer to <c>POST /api/sync/up</c>. A retried batch gets the same answer.</summary>
public sealed record SyncUpResponse(
    IReadOnlyList<SyncAcknowledged> Acknowledged,
    IReadOnlyList<SyncConflict> Conflicts,
    IReadOnlyList<SyncRejected> Rejected);

/// <summary>One changed entity in <c>POST /api/sync/down</c>.</summary>
/// <param name="EntityType">The type.</param>
/// <param name="EntityId">The id.</param>
/// <param name="Operation">CREATE | UPDATE | DELETE (a tombstone).</param>
/// <param name="Payload">The entity's current fields (null for DELETE).</param>
/// <param name="ServerVersion">The entity's current version.</param>
/// <param name="Seq">The last change of this entity in the page.</param>
/// <param name="Origin">Who made that change: admin, api or a sync client id (a client recognises its own writes).</param>
public sealed record SyncDownChange(string EntityType, string EntityId, string Operation, JsonObject? Payload, long ServerVersion, long Seq, string Origin);

/// <summary>A page of <c>POST /api/sync/down</c>: pass <paramref name="Cursor"/> back for the next one.</summary>
public sealed record SyncDownResponse(IReadOnlyList<SyncDownChange> Changes, string Cursor, bool HasMore);

/// <summary>How a pending conflict is settled.</summary>
public enum ConflictResolution
{
    /// <summary>Keep the server's entity; the client drops its change.</summary>
    AcceptServer,

    /// <summary>Apply the client's change over the server's current state.</summary>
    KeepLocal,

    /// <summary>Apply the given field values (a hand-made merge) over the server's current state.</summary>
    Merge,
}

/// <summary>The outcome of a resolution, also pushed to the client as <c>sync.conflict-resolved</c>.</summary>
/// <param name="EventId">The conflicting event.</param>
/// <param name="ClientId">Its client.</param>
/// <param name="Resolution">accept-server | keep-local | merge.</param>
/// <param name="EntityType">The type.</param>
/// <param name="EntityId">The entity.</param>
/// <param name="Entity">The entity after the resolution (null when it does not exist).</param>
/// <param name="Seq">The change the resolution wrote (null when it wrote nothing).</param>
/// <param name="ResolvedBy">Who resolved it.</param>
public sealed record ConflictResolved(string EventId, string ClientId, string Resolution, string EntityType, string EntityId, EntityDto? Entity, long? Seq, string ResolvedBy);

/// <summary><c>sync.progress</c> data: how far a long upload or download is.</summary>
/// <param name="Direction">up | down.</param>
/// <param name="Processed">Events (up) or changes (down) handled so far in this request.</param>
/// <param name="Total">Events in the batch (up); for down, changes in this page plus an estimate of what is left.</param>
/// <param name="Acknowledged">Applied so far (up).</param>
/// <param name="Conflicts">Conflicts so far (up).</param>
/// <param name="Rejected">Rejections so far (up).</param>
public sealed record SyncProgress(string Direction, int Processed, long Total, int Acknowledged, int Conflicts, int Rejected);

/// <summary><c>sync.changes-available</c> data: the tenant's log has changes up to <paramref name="LatestSeq"/>.</summary>
/// <param name="Cursor">A cursor at the newest change (a client that has it is up to date).</param>
/// <param name="LatestSeq">The newest change's sequence number.</param>
public sealed record SyncChangesAvailable(string Cursor, long LatestSeq);

/// <summary>Names used on the wire.</summary>
public static class SyncNames
{
    /// <summary>Text form of an operation (CREATE | UPDATE | DELETE).</summary>
    public static string Of(SyncOperation operation) => operation.ToString().ToUpperInvariant();

    /// <summary>Text form of a resolution (accept-server | keep-local | merge).</summary>
    public static string Of(ConflictResolution resolution) => resolution switch
    {
        ConflictResolution.AcceptServer => "accept-server",
        ConflictResolution.KeepLocal => "keep-local",
        _ => "merge",
    };

    /// <summary>Parses a resolution name; null when unknown.</summary>
    public static ConflictResolution? ParseResolution(string? text) => text switch
    {
        "accept-server" => ConflictResolution.AcceptServer,
        "keep-local" => ConflictResolution.KeepLocal,
        "merge" => ConflictResolution.Merge,
        _ => null,
    };
}
