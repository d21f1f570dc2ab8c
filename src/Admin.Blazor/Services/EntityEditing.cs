using System.Text.Json.Nodes;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Admin.Services;

/// <summary>
/// What the backoffice editors need from the host: the tenant's entity types, reads, merge-on-write
/// saves, live change notifications and presence. Implemented in the host over the same store and
/// channels the API and the hub use, so an admin save is merged and pushed exactly like an API write.
/// </summary>
public interface IEntityEditing
{
    IReadOnlyList<EntityTypeSchema> Types(string tenant);

    Task<EntityPage> ListAsync(string tenant, string type, string? after, int limit, CancellationToken ct = default);

    Task<EntityDto?> GetAsync(string tenant, string type, string id, CancellationToken ct = default);

    /// <summary>A page of the type's list, searched, sorted and paged by the database (fast at 10,000 rows and more).</summary>
    Task<EntityListPage> QueryAsync(string tenant, string type, EntityListQuery query, CancellationToken ct = default);

    /// <param name="id">Null lets the server pick one (singletons always use their fixed id).</param>
    Task<EditorSaveResult> CreateAsync(string tenant, string type, string? id, IReadOnlyDictionary<string, JsonNode?> fields, string actor, CancellationToken ct = default);

    Task<EditorSaveResult> UpdateAsync(string tenant, string type, string id, long baseVersion, IReadOnlyDictionary<string, JsonNode?> fields, string actor, CancellationToken ct = default);

    Task<EditorSaveResult> DeleteAsync(string tenant, string type, string id, long baseVersion, string actor, CancellationToken ct = default);

    /// <summary>Calls <paramref name="onChange"/> for every committed change of the type, in order. Dispose to stop.</summary>
    IDisposable WatchType(string tenant, string type, Func<EntityChangedEvent, Task> onChange);

    /// <summary>Announces that <paramref name="user"/> is editing <paramref name="resource"/> until the session is disposed.</summary>
    Task<IPresenceSession> JoinAsync(string tenant, string resource, string user, CancellationToken ct = default);

    /// <summary>Calls <paramref name="onChange"/> with the current editors of <paramref name="resource"/> whenever someone joins or leaves.</summary>
    IDisposable WatchPresence(string tenant, string resource, Func<IReadOnlyList<EditorPresence>, Task> onChange);
}

/// <summary>This editor's presence on a resource; dispose to leave.</summary>
public interface IPresenceSession : IAsyncDisposable
{
    string MemberId { get; }
}

/// <summary>Someone with the resource open.</summary>
public sealed record EditorPresence(string MemberId, string User, DateTimeOffset Since);

/// <summary>Outcome of an editor's save.</summary>
/// <param name="Status">created | applied | no-change | deleted | conflict | invalid | not-found | exists.</param>
public sealed record EditorSaveResult(
    string Status,
    EntityDto? Entity,
    IReadOnlyList<string> Changed,
    IReadOnlyList<string> Merged,
    IReadOnlyList<FieldConflict> Conflicts,
    IReadOnlyList<FieldError> Errors);

/// <summary>One page of a type's list: search, sort and paging done by the host's database.</summary>
/// <param name="Search">Text every match contains in one of its text or list fields, or its id (case-insensitive); null: all.</param>
/// <param name="SortField">A field name, <see cref="UpdatedAt"/>, or null for the type's title field.</param>
public sealed record EntityListQuery(string? Search, string? SortField, bool Descending, int Skip, int Take)
{
    /// <summary>Sorts by the time of the last change.</summary>
    public const string UpdatedAt = "@updatedAt";
}

/// <param name="Total">How many entities match (every page).</param>
public sealed record EntityListPage(IReadOnlyList<EntityDto> Items, int Total);
