namespace RealtimeSync.Shared.Entities;

/// <summary>A tenant's changes to one entity type; null members keep the default.</summary>
/// <param name="PreservedFields">Replaces the preserved-field list.</param>
/// <param name="ConflictPolicy">Replaces the conflict policy.</param>
/// <param name="ExtraFields">Fields added to the type for this tenant.</param>
public sealed record EntityTypeOverride(
    IReadOnlyList<string>? PreservedFields = null,
    ConflictPolicy? ConflictPolicy = null,
    IReadOnlyList<FieldSchema>? ExtraFields = null);

/// <summary>
/// The entity types of each tenant: the configured types, with per-tenant overrides applied.
/// Pure lookup; the host builds it from configuration.
/// </summary>
public sealed class EntityTypeCatalog
{
    private readonly IReadOnlyList<EntityTypeSchema> types;
    private readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, EntityTypeOverride>> overrides;

    /// <summary>Creates a catalog of <paramref name="types"/> with <paramref name="tenantOverrides"/> (tenant → type → override).</summary>
    public EntityTypeCatalog(
        IReadOnlyList<EntityTypeSchema> types,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, EntityTypeOverride>>? tenantOverrides = null)
    {
        this.types = types;
        overrides = tenantOverrides ?? new Dictionary<string, IReadOnlyDictionary<string, EntityTypeOverride>>();
    }

    /// <summary>The types of <paramref name="tenant"/>, in configured order.</summary>
    public IReadOnlyList<EntityTypeSchema> For(string tenant) => types.Select(t => Apply(tenant, t)).ToList();

    /// <summary>The type named <paramref name="type"/> for <paramref name="tenant"/>, or null when it is not configured.</summary>
    public EntityTypeSchema? Find(string tenant, string type) =>
        types.FirstOrDefault(t => t.Name == type) is { } schema ? Apply(tenant, schema) : null;

    private EntityTypeSchema Apply(string tenant, EntityTypeSchema schema)
    {
        if (!overrides.TryGetValue(tenant, out var byType) || !byType.TryGetValue(schema.Name, out var change))
        {
            return schema;
        }

        return schema with
        {
            PreservedFields = change.PreservedFields ?? schema.PreservedFields,
            ConflictPolicy = change.ConflictPolicy ?? schema.ConflictPolicy,
            Fields = change.ExtraFields is { Count: > 0 } extra
                ? [.. schema.Fields, .. extra.Where(e => schema.Field(e.Name) is null)]
                : schema.Fields,
        };
    }
}
