using System.Text.Json;
using System.Text.Json.Nodes;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// A write decided in memory against the entity's current row: the outcome (its <c>Seq</c> still unset), the new
/// row of a create (an update or delete changes the given row in place), and the change-log row once its sequence
/// number is known. <see cref="Change"/> is null when nothing is written.
/// </summary>
internal sealed record PlannedWrite(WriteOutcome Outcome, EntityRow? Created, Func<long, ChangeRow>? Change)
{
    public bool Writes => Change is not null;
}

/// <summary>
/// The rules of a create, update and delete (smart merge, base versions, tombstones), as pure functions of the
/// current row. The single-write path (<see cref="EntityStore"/>) and the sync batch path apply the same functions,
/// so a batch gives exactly the outcomes its events would get one by one.
/// </summary>
internal static class EntityWrites
{
    /// <summary>Checks that need no row: an invalid patch is refused before any lock is taken.</summary>
    public static WriteOutcome? Precheck(EntityTypeSchema schema, EntityPatch patch, bool creating, DateTimeOffset now, out MergeResult? created)
    {
        created = null;
        if (creating)
        {
            created = SmartMerge.Create(schema, patch, now);
            return created.Status == MergeStatus.Invalid ? new WriteOutcome(WriteStatus.Invalid, null, created, null) : null;
        }

        var errors = SmartMerge.Validate(schema, patch.Fields, creating: false);
        if (errors.Count == 0)
        {
            return null;
        }

        var invalid = new MergeResult(MergeStatus.Invalid, new EntitySnapshot(0, new Dictionary<string, JsonNode?>(), new Dictionary<string, long>()), [], [], [], [], errors);
        return new WriteOutcome(WriteStatus.Invalid, null, invalid, null);
    }

    public static PlannedWrite Create(string tenant, EntityTypeSchema schema, string id, MergeResult merge, EntityRow? existing, WriteContext who, DateTimeOffset now)
    {
        if (existing is not null)
        {
            return new PlannedWrite(new WriteOutcome(WriteStatus.AlreadyExists, EntityStore.ToDto(existing), null, null), null, null);
        }

        var row = new EntityRow
        {
            TenantId = tenant,
            EntityType = schema.Name,
            Id = id,
            Version = merge.State.Version,
            Fields = Serialize(merge.State.Fields),
            FieldVersions = JsonSerializer.Serialize(merge.State.FieldVersions),
            CreatedAt = now,
            CreatedBy = who.Actor,
            UpdatedAt = now,
            UpdatedBy = who.Actor,
        };
        var dto = EntityStore.ToDto(row);
        return new PlannedWrite(new WriteOutcome(WriteStatus.Created, dto, merge, null), row,
            Change(tenant, row, "create", merge.Changed, merge.State.Fields, [], who, now));
    }

    /// <summary>Merges <paramref name="patch"/> into <paramref name="row"/> (changed in place when it applies).</summary>
    public static PlannedWrite Update(string tenant, EntityTypeSchema schema, EntityPatch patch, EntityRow? row, WriteContext who, DateTimeOffset now)
    {
        if (row is null || row.Deleted)
        {
            return new PlannedWrite(new WriteOutcome(WriteStatus.NotFound, null, null, null), null, null);
        }

        var merge = SmartMerge.Update(schema, Snapshot(row), patch);
        switch (merge.Status)
        {
            case MergeStatus.Invalid:
                return new PlannedWrite(new WriteOutcome(WriteStatus.Invalid, EntityStore.ToDto(row), merge, null), null, null);
            case MergeStatus.Conflict:
                return new PlannedWrite(new WriteOutcome(WriteStatus.Conflict, EntityStore.ToDto(row), merge, null), null, null);
            case MergeStatus.NoChange:
                return new PlannedWrite(new WriteOutcome(WriteStatus.NoChange, EntityStore.ToDto(row), merge, null), null, null);
        }

        row.Version = merge.State.Version;
        row.Fields = Serialize(merge.State.Fields);
        row.FieldVersions = JsonSerializer.Serialize(merge.State.FieldVersions);
        row.UpdatedAt = now;
        row.UpdatedBy = who.Actor;
        var conflicts = merge.Conflicts.Select(c => c.Field).ToList();
        return new PlannedWrite(new WriteOutcome(WriteStatus.Applied, EntityStore.ToDto(row), merge, null), null,
            Change(tenant, row, "update", merge.Changed, merge.State.Fields, conflicts, who, now));
    }

    /// <summary>Soft delete; with <paramref name="baseVersion"/>, a conflict when the entity changed since.</summary>
    public static PlannedWrite Delete(string tenant, long? baseVersion, EntityRow? row, WriteContext who, DateTimeOffset now)
    {
        if (row is null || row.Deleted)
        {
            return new PlannedWrite(new WriteOutcome(WriteStatus.NotFound, null, null, null), null, null);
        }

        if (baseVersion is { } expected && expected != row.Version)
        {
            return new PlannedWrite(new WriteOutcome(WriteStatus.Conflict, EntityStore.ToDto(row), null, null), null, null);
        }

        row.Version++;
        row.Deleted = true;
        row.DeletedAt = now;
        row.DeletedBy = who.Actor;
        row.UpdatedAt = now;
        row.UpdatedBy = who.Actor;
        return new PlannedWrite(new WriteOutcome(WriteStatus.Deleted, EntityStore.ToDto(row), null, null), null,
            Change(tenant, row, "delete", [], new Dictionary<string, JsonNode?>(), [], who, now));
    }

    /// <summary>
    /// The change-log row of this write once its sequence number is known. Everything is captured now: later writes
    /// of the same batch may change the row in memory before the sequence is taken.
    /// </summary>
    private static Func<long, ChangeRow> Change(string tenant, EntityRow row, string operation, IReadOnlyList<string> changed, IReadOnlyDictionary<string, JsonNode?> fields, IReadOnlyList<string> conflicts, WriteContext who, DateTimeOffset now)
    {
        var values = new JsonObject();
        foreach (var name in changed)
        {
            values[name] = fields.TryGetValue(name, out var value) ? value?.DeepClone() : null;
        }

        var (type, id, version) = (row.EntityType, row.Id, row.Version);
        var changedJson = values.ToJsonString();
        var conflictsJson = conflicts.Count > 0 ? JsonSerializer.Serialize(conflicts) : null;
        return seq => new ChangeRow
        {
            TenantId = tenant,
            Seq = seq,
            EntityType = type,
            EntityId = id,
            Operation = operation,
            Version = version,
            Changed = changedJson,
            Conflicts = conflictsJson,
            Actor = who.Actor,
            Origin = who.Origin,
            OccurredAt = now,
        };
    }

    private static EntitySnapshot Snapshot(EntityRow row)
    {
        var fields = JsonNode.Parse(row.Fields)!.AsObject().ToDictionary(f => f.Key, f => f.Value?.DeepClone());
        var versions = JsonSerializer.Deserialize<Dictionary<string, long>>(row.FieldVersions)!;
        return new EntitySnapshot(row.Version, fields, versions);
    }

    private static string Serialize(IReadOnlyDictionary<string, JsonNode?> fields)
    {
        var obj = new JsonObject();
        foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            obj[name] = value?.DeepClone();
        }

        return obj.ToJsonString();
    }
}
