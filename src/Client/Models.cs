using System.Text.Json.Nodes;

namespace RealtimeSync.Client;

/// <summary>The state of an outbox event.</summary>
public enum OutboxStatus
{
    /// <summary>Recorded locally, not sent yet.</summary>
    Pending,

    /// <summary>Sent; the answer has not been recorded yet (sent again, safely, on the next push).</summary>
    Sent,

    /// <summary>Applied by the server (or settled by a resolution).</summary>
    Acknowledged,

    /// <summary>Refused for good by the server; see <see cref="OutboxEvent.Error"/>.</summary>
    Failed,

    /// <summary>The entity changed on the server under it; waits for a resolution.</summary>
    Conflict,
}

/// <summary>What an outbox event does.</summary>
public enum EntityOperation
{
    /// <summary>Creates the entity.</summary>
    Create,

    /// <summary>Changes the given fields.</summary>
    Update,

    /// <summary>Deletes the entity.</summary>
    Delete,
}

/// <summary>How a conflict is settled (through the server; the local store follows).</summary>
public enum ConflictChoice
{
    /// <summary>Keep the server's entity; the local change is dropped.</summary>
    AcceptServer,

    /// <summary>Apply the local change over the server's current entity.</summary>
    KeepLocal,

    /// <summary>Apply hand-merged field values over the server's current entity.</summary>
    Merge,
}

/// <summary>The overall state shown by an app's sync indicator.</summary>
public enum SyncState
{
    /// <summary>Nothing running; the last sync succeeded (or none ran yet).</summary>
    Idle,

    /// <summary>A push or pull is running.</summary>
    Syncing,

    /// <summary>The server could not be reached; local writes keep working and wait in the outbox.</summary>
    Offline,

    /// <summary>The last sync failed for another reason (see <see cref="SyncStatus.LastError"/>).</summary>
    Error,
}

/// <summary>A snapshot of the client's sync state.</summary>
/// <param name="State">Idle, syncing, offline or error.</param>
/// <param name="Pending">Outbox events not yet acknowledged (pending or sent).</param>
/// <param name="Conflicts">Events waiting for a resolution.</param>
/// <param name="LastSuccessfulSync">When the last push-and-pull completed.</param>
/// <param name="LastError">Why the last sync failed, when it did.</param>
public sealed record SyncStatus(SyncState State, int Pending, int Conflicts, DateTimeOffset? LastSuccessfulSync, string? LastError);

/// <summary>An entity as the app sees it: the server's state with the client's pending changes above it.</summary>
/// <param name="Type">Entity type.</param>
/// <param name="Id">Entity id.</param>
/// <param name="Fields">The fields (local view).</param>
/// <param name="ServerVersion">The last server version this client knows (0 when the server does not have it yet).</param>
/// <param name="HasPendingChanges">Whether outbox events of this entity wait for the server.</param>
public sealed record LocalEntity(string Type, string Id, JsonObject Fields, long ServerVersion, bool HasPendingChanges);

/// <summary>An event of the local outbox.</summary>
/// <param name="Id">The event id (the server's idempotency key).</param>
/// <param name="Tenant">Tenant.</param>
/// <param name="EntityType">Entity type.</param>
/// <param name="EntityId">Entity id.</param>
/// <param name="Operation">Create, update or delete.</param>
/// <param name="Payload">The fields the event sets.</param>
/// <param name="BaseVersion">The server version it starts from.</param>
/// <param name="CreatedAt">When it was recorded.</param>
/// <param name="Attempts">How often it was sent.</param>
/// <param name="LastAttemptAt">When it was last sent.</param>
/// <param name="Status">Its state.</param>
/// <param name="Error">Why it failed, or the conflict's reason.</param>
public sealed record OutboxEvent(
    string Id,
    string Tenant,
    string EntityType,
    string EntityId,
    EntityOperation Operation,
    JsonObject Payload,
    long BaseVersion,
    DateTimeOffset CreatedAt,
    int Attempts,
    DateTimeOffset? LastAttemptAt,
    OutboxStatus Status,
    string? Error);

/// <summary>A conflict: the local change and the server's entity side by side.</summary>
/// <param name="EventId">The conflicting event (resolve it by this id).</param>
/// <param name="EntityType">Entity type.</param>
/// <param name="EntityId">Entity id.</param>
/// <param name="Operation">The local change's operation.</param>
/// <param name="Reason">field-conflict, entity-changed, entity-deleted, entity-exists…</param>
/// <param name="LocalData">The fields the local change sets.</param>
/// <param name="ServerData">The server's fields when the conflict was found (null when the entity does not exist there).</param>
/// <param name="ConflictingFields">Fields both sides changed.</param>
public sealed record SyncConflictInfo(
    string EventId,
    string EntityType,
    string EntityId,
    EntityOperation Operation,
    string Reason,
    JsonObject LocalData,
    JsonObject? ServerData,
    IReadOnlyList<string> ConflictingFields);

/// <summary>What one push did.</summary>
/// <param name="Acknowledged">Events the server applied.</param>
/// <param name="Conflicts">Events that became conflicts.</param>
/// <param name="Rejected">Events refused for good.</param>
public sealed record PushResult(int Acknowledged, int Conflicts, int Rejected);

/// <summary>What one pull did.</summary>
/// <param name="Changes">Changed entities applied locally.</param>
/// <param name="Pages">sync/down pages read.</param>
public sealed record PullResult(int Changes, int Pages);
