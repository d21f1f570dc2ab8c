using System.Text.Json.Nodes;

namespace RealtimeSync.Hub.Sync;

// The request records of /api/sync, read by RequestBody with a closed contract: a member not listed here is a 400
// naming it. The outbox events inside sync/up stay JSON on purpose: each event is checked on its own by
// SyncEventReader (Shared), so one bad event is rejected with its id while the rest of the batch is applied, and the
// client's outbox bookkeeping members (status, attemptCount, lastAttemptAt, errorMessage; issue 15) are accepted and
// dropped there while any other unknown event member is still rejected.

/// <summary><c>POST /api/sync/up</c>: <c>{ "clientId": "…", "events": [ … ] }</c>.</summary>
public sealed record SyncUpRequest(string? ClientId = null, JsonArray? Events = null);

/// <summary><c>POST /api/sync/down</c>: <c>{ "clientId": "…", "cursor"?: "…", "entityTypes"?: ["…"], "limit"?: n }</c>.</summary>
public sealed record SyncDownRequest(string? ClientId = null, string? Cursor = null, List<string?>? EntityTypes = null, int? Limit = null);

/// <summary><c>POST /api/sync/conflicts/{eventId}/resolve</c>: <c>{ "resolution": "…", "fields"?: { … }, "clientId"?: "…" }</c>.</summary>
/// <param name="Fields">Free-form field values of a merge; the entity type's schema checks them, not this record.</param>
public sealed record ResolveConflictRequest(string? Resolution = null, JsonObject? Fields = null, string? ClientId = null);
