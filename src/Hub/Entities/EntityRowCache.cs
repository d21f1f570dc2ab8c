using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// The entity rows this node last wrote with a one-statement edit, so that the next edit of the same entity on this
/// node can be decided without reading the row first (one round trip less). Only a candidate: the write it leads to
/// is conditional on the version (<see cref="EntityStatement"/>), versions only grow and every change of a row
/// changes its version, so a row that moved (another node, another path) makes the write fail and the edit is decided
/// again on a fresh read; a decision that writes nothing (no change, conflict, invalid, not found) is never trusted
/// from here either. Bounded by <see cref="EntityWriteOptions.CachedRows"/> (emptied when full).
/// </summary>
public sealed class EntityRowCache(IOptions<EntityWriteOptions> options)
{
    private readonly ConcurrentDictionary<(string Tenant, string Type, string Id), EntityRow> rows = new();

    /// <summary>A copy of the row as this node last wrote it, or null.</summary>
    public EntityRow? Find(string tenant, string type, string id) =>
        rows.TryGetValue((tenant, type, id), out var row) ? row.Copy() : null;

    public void Remember(EntityRow row)
    {
        var size = options.Value.CachedRows;
        if (size <= 0)
        {
            return;
        }

        if (rows.Count >= size)
        {
            rows.Clear();
        }

        rows[(row.TenantId, row.EntityType, row.Id)] = row.Copy();
    }

    public void Forget(string tenant, string type, string id) => rows.TryRemove((tenant, type, id), out _);
}
