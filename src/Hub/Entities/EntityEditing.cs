using System.Text.Json;
using System.Text.Json.Nodes;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// The admin's editors over the entity store. A Blazor circuit lives for hours, so every call takes
/// its own scope (and DbContext) instead of holding one for the circuit's lifetime.
/// </summary>
public sealed class EntityEditing(IServiceScopeFactory scopes, EntityTypes types, ChannelPublisher publisher, PresenceTracker presence) : IEntityEditing
{
    public IReadOnlyList<EntityTypeSchema> Types(string tenant) => types.Current.For(tenant);

    public async Task<EntityPage> ListAsync(string tenant, string type, string? after, int limit, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EntityStore>().ListAsync(tenant, type, after, limit, null, null, false, ct);
    }

    public async Task<EntityListPage> QueryAsync(string tenant, string type, EntityListQuery query, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await EntityListQueries.QueryAsync(scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>(), tenant, Schema(tenant, type), query, ct);
    }

    public async Task<EntityDto?> GetAsync(string tenant, string type, string id, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EntityStore>().GetAsync(tenant, type, id, ct);
    }

    public async Task<EditorSaveResult> CreateAsync(string tenant, string type, string? id, IReadOnlyDictionary<string, JsonNode?> fields, string actor, CancellationToken ct = default)
    {
        var schema = Schema(tenant, type);
        await using var scope = scopes.CreateAsyncScope();
        var entityId = schema.Singleton ? EntityTypeSchema.SingletonId : string.IsNullOrWhiteSpace(id) ? Guid.NewGuid().ToString("N") : id.Trim();
        var outcome = await scope.ServiceProvider.GetRequiredService<EntityStore>().CreateAsync(tenant, schema, entityId, new EntityPatch(fields, null), Admin(actor), ct);
        return Result(outcome);
    }

    public async Task<EditorSaveResult> UpdateAsync(string tenant, string type, string id, long baseVersion, IReadOnlyDictionary<string, JsonNode?> fields, string actor, CancellationToken ct = default)
    {
        var schema = Schema(tenant, type);
        await using var scope = scopes.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<EntityStore>().UpdateAsync(tenant, schema, id, new EntityPatch(fields, baseVersion), Admin(actor), ct);
        return Result(outcome);
    }

    public async Task<EditorSaveResult> DeleteAsync(string tenant, string type, string id, long baseVersion, string actor, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<EntityStore>().DeleteAsync(tenant, type, id, baseVersion, Admin(actor), ct);
        return Result(outcome);
    }

    public IDisposable WatchType(string tenant, string type, Func<EntityChangedEvent, Task> onChange) =>
        publisher.Listen(ChannelName.Entities(tenant, type), publication =>
            onChange(publication.Data.Deserialize<EntityChangedEvent>(JsonSerializerOptions.Web)!));

    public async Task<IPresenceSession> JoinAsync(string tenant, string resource, string user, CancellationToken ct = default)
    {
        var memberId = Guid.NewGuid().ToString("N");
        await presence.JoinAsync(tenant, resource, memberId, user, ct);
        return new Membership(memberId, () => presence.LeaveAsync(tenant, resource, memberId));
    }

    public IDisposable WatchPresence(string tenant, string resource, Func<IReadOnlyList<EditorPresence>, Task> onChange) =>
        publisher.Listen(ChannelName.Presence(tenant, resource), async _ =>
            await onChange((await presence.MembersAsync(tenant, resource)).Select(m => new EditorPresence(m.MemberId, m.User, m.Since)).ToList()));

    private EntityTypeSchema Schema(string tenant, string type) =>
        types.Current.Find(tenant, type) ?? throw new InvalidOperationException($"'{type}' is not an entity type of {tenant}.");

    private static WriteContext Admin(string actor) => new(actor, "admin");

    private static EditorSaveResult Result(WriteOutcome outcome) => new(
        outcome.Status switch
        {
            WriteStatus.Created => "created",
            WriteStatus.Applied => "applied",
            WriteStatus.NoChange => "no-change",
            WriteStatus.Deleted => "deleted",
            WriteStatus.Conflict => "conflict",
            WriteStatus.Invalid => "invalid",
            WriteStatus.AlreadyExists => "exists",
            _ => "not-found",
        },
        outcome.Entity,
        outcome.Merge?.Changed ?? [],
        outcome.Merge?.Merged ?? [],
        outcome.Merge?.Conflicts ?? [],
        outcome.Errors);

    private sealed class Membership(string memberId, Func<Task> leave) : IPresenceSession
    {
        private int left;

        public string MemberId { get; } = memberId;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref left, 1) == 0)
            {
                await leave();
            }
        }
    }
}
