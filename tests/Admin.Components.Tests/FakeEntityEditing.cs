using System.Text.Json.Nodes;
using RealtimeSync.Admin.Services;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Admin.Components.Tests;

/// <summary>
/// An in-memory <see cref="IEntityEditing"/> for component tests: holds entities of the default types, lets a test
/// push a colleague's change or a presence list to the open editor, and records saves.
/// </summary>
internal sealed class FakeEntityEditing : IEntityEditing
{
    private readonly List<Func<EntityChangedEvent, Task>> watchers = [];
    private readonly List<Func<IReadOnlyList<EditorPresence>, Task>> presenceWatchers = [];

    public Dictionary<string, EntityDto> Entities { get; } = [];

    public List<(string Id, long BaseVersion, IReadOnlyDictionary<string, JsonNode?> Fields)> Updates { get; } = [];

    public string JoinedMemberId { get; } = "me-1";

    public IReadOnlyList<EntityTypeSchema> Types(string tenant) => DefaultEntityTypes.All;

    public static EntityDto Entity(string type, string id, long version, JsonObject fields) =>
        new(id, type, version, fields, new Dictionary<string, long>(), false, DateTimeOffset.UnixEpoch, "seed", DateTimeOffset.UnixEpoch, "seed");

    public Task<EntityPage> ListAsync(string tenant, string type, string? after, int limit, CancellationToken ct = default) =>
        Task.FromResult(new EntityPage(Entities.Values.Where(e => e.Type == type).ToList(), null));

    public Task<EntityListPage> QueryAsync(string tenant, string type, EntityListQuery query, CancellationToken ct = default)
    {
        var all = Entities.Values.Where(e => e.Type == type).OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
        return Task.FromResult(new EntityListPage(all.Skip(query.Skip).Take(query.Take).ToList(), all.Count));
    }

    public Task<EntityDto?> GetAsync(string tenant, string type, string id, CancellationToken ct = default) =>
        Task.FromResult(Entities.GetValueOrDefault(id));

    public Task<EditorSaveResult> CreateAsync(string tenant, string type, string? id, IReadOnlyDictionary<string, JsonNode?> fields, string actor, CancellationToken ct = default) =>
        throw new NotSupportedException();

    public Task<EditorSaveResult> UpdateAsync(string tenant, string type, string id, long baseVersion, IReadOnlyDictionary<string, JsonNode?> fields, string actor, CancellationToken ct = default)
    {
        Updates.Add((id, baseVersion, fields));
        var current = Entities[id];
        var merged = current.Fields.DeepClone().AsObject();
        foreach (var (name, value) in fields)
        {
            merged[name] = value?.DeepClone();
        }

        var saved = current with { Version = current.Version + 1, Fields = merged, UpdatedBy = actor };
        Entities[id] = saved;
        return Task.FromResult(new EditorSaveResult("applied", saved, fields.Keys.ToList(), [], [], []));
    }

    public Task<EditorSaveResult> DeleteAsync(string tenant, string type, string id, long baseVersion, string actor, CancellationToken ct = default) =>
        throw new NotSupportedException();

    public IDisposable WatchType(string tenant, string type, Func<EntityChangedEvent, Task> onChange)
    {
        watchers.Add(onChange);
        return new Unsubscribe(() => watchers.Remove(onChange));
    }

    public Task<IPresenceSession> JoinAsync(string tenant, string resource, string user, CancellationToken ct = default) =>
        Task.FromResult<IPresenceSession>(new Session(JoinedMemberId));

    public IDisposable WatchPresence(string tenant, string resource, Func<IReadOnlyList<EditorPresence>, Task> onChange)
    {
        presenceWatchers.Add(onChange);
        return new Unsubscribe(() => presenceWatchers.Remove(onChange));
    }

    /// <summary>A colleague's committed change: stored, then pushed to every watcher.</summary>
    public async Task CommitRemoteAsync(string id, string actor, JsonObject changed)
    {
        var current = Entities[id];
        var fields = current.Fields.DeepClone().AsObject();
        foreach (var (name, value) in changed)
        {
            fields[name] = value?.DeepClone();
        }

        Entities[id] = current with { Version = current.Version + 1, Fields = fields, UpdatedBy = actor };
        foreach (var watcher in watchers.ToList())
        {
            await watcher(new EntityChangedEvent(id, current.Type, "update", current.Version + 1, changed, [], actor, "api", 0));
        }
    }

    public async Task PushPresenceAsync(params EditorPresence[] members)
    {
        foreach (var watcher in presenceWatchers.ToList())
        {
            await watcher(members);
        }
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    private sealed class Session(string memberId) : IPresenceSession
    {
        public string MemberId { get; } = memberId;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
