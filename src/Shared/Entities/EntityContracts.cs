using System.Text.Json.Nodes;

namespace RealtimeSync.Shared.Entities;

/// <summary>An entity as the API and the admin see it.</summary>
/// <param name="Id">Entity id, unique per tenant and type.</param>
/// <param name="Type">Entity type name.</param>
/// <param name="Version">Per-entity version (also the ETag).</param>
/// <param name="Fields">Current field values.</param>
/// <param name="FieldVersions">Field → version that last changed it (what a 3-way merge compares).</param>
/// <param name="Deleted">Soft-deleted (a tombstone).</param>
/// <param name="CreatedAt">Creation time.</param>
/// <param name="CreatedBy">Creating actor.</param>
/// <param name="UpdatedAt">Last change time.</param>
/// <param name="UpdatedBy">Last changing actor.</param>
public sealed record EntityDto(
    string Id,
    string Type,
    long Version,
    JsonObject Fields,
    IReadOnlyDictionary<string, long> FieldVersions,
    bool Deleted,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset UpdatedAt,
    string UpdatedBy);

/// <summary>The answer to a create, update or delete.</summary>
/// <param name="Status">created | applied | no-change | deleted.</param>
/// <param name="Entity">The entity after the write.</param>
/// <param name="Changed">Fields this write changed.</param>
/// <param name="Merged">Fields others changed since the base version, kept as they are.</param>
/// <param name="Preserved">Fields sent but never taken from a client.</param>
/// <param name="Conflicts">Same-field conflicts that last-writer-wins overwrote.</param>
/// <param name="Seq">Change-log sequence of this write (null when nothing was written).</param>
public sealed record EntityWriteResponse(
    string Status,
    EntityDto Entity,
    IReadOnlyList<string> Changed,
    IReadOnlyList<string> Merged,
    IReadOnlyList<string> Preserved,
    IReadOnlyList<FieldConflict> Conflicts,
    long? Seq);

/// <summary>One entry of the change log.</summary>
/// <param name="Seq">Per-tenant sequence, gap-free and commit-ordered.</param>
/// <param name="EntityType">Entity type.</param>
/// <param name="EntityId">Entity id.</param>
/// <param name="Operation">create | update | delete.</param>
/// <param name="Version">Entity version after the change.</param>
/// <param name="Changed">Changed fields with their new values (null = cleared).</param>
/// <param name="Conflicts">Fields that last-writer-wins overwrote.</param>
/// <param name="Actor">Who wrote it.</param>
/// <param name="Origin">admin | api | sync client id.</param>
/// <param name="At">When it was committed.</param>
public sealed record ChangeDto(
    long Seq,
    string EntityType,
    string EntityId,
    string Operation,
    long Version,
    JsonObject Changed,
    IReadOnlyList<string> Conflicts,
    string Actor,
    string Origin,
    DateTimeOffset At);

/// <summary>A page of the change log.</summary>
/// <param name="Changes">Changes in sequence order.</param>
/// <param name="Cursor">Opaque cursor to pass back for the next page.</param>
/// <param name="HasMore">More changes are available right now.</param>
public sealed record ChangePage(IReadOnlyList<ChangeDto> Changes, string Cursor, bool HasMore);

/// <summary>A page of entities.</summary>
/// <param name="Items">Entities ordered by id.</param>
/// <param name="Next">Pass as <c>after</c> for the next page; null on the last page.</param>
public sealed record EntityPage(IReadOnlyList<EntityDto> Items, string? Next);

/// <summary>
/// The data of an <c>entity.changed</c> / <c>entity.deleted</c> publication: enough for a subscriber
/// to patch its copy without refetching.
/// </summary>
/// <param name="Id">Entity id.</param>
/// <param name="Type">Entity type.</param>
/// <param name="Operation">create | update | delete.</param>
/// <param name="Version">Entity version after the change.</param>
/// <param name="Changed">Changed fields with their new values (null = cleared).</param>
/// <param name="Conflicts">Fields last-writer-wins overwrote.</param>
/// <param name="Actor">Who wrote it.</param>
/// <param name="Origin">admin | api | sync client id.</param>
/// <param name="Seq">Change-log sequence.</param>
public sealed record EntityChangedEvent(
    string Id,
    string Type,
    string Operation,
    long Version,
    JsonObject Changed,
    IReadOnlyList<string> Conflicts,
    string Actor,
    string Origin,
    long Seq);
