using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// The entity-type catalog as currently configured: <c>Entities:Types</c> (which default types exist)
/// and <c>Entities:Overrides:{tenant}:{type}</c> (PreservedFields, ConflictPolicy). Read at use time,
/// so a configuration reload applies without a restart.
/// </summary>
public sealed class EntityTypes(IConfiguration configuration)
{
    public EntityTypeCatalog Current
    {
        get
        {
            var names = configuration.GetSection("Entities:Types").Get<string[]>();
            var types = names is { Length: > 0 }
                ? DefaultEntityTypes.All.Where(t => names.Contains(t.Name)).ToList()
                : DefaultEntityTypes.All;
            var overrides = new Dictionary<string, IReadOnlyDictionary<string, EntityTypeOverride>>();
            foreach (var tenant in configuration.GetSection("Entities:Overrides").GetChildren())
            {
                overrides[tenant.Key] = tenant.GetChildren().ToDictionary(
                    t => t.Key,
                    t => new EntityTypeOverride(
                        t.GetSection("PreservedFields").Exists() ? t.GetSection("PreservedFields").Get<string[]>() ?? [] : null,
                        Enum.TryParse<ConflictPolicy>(t["ConflictPolicy"], ignoreCase: true, out var policy) ? policy : null));
            }

            return new EntityTypeCatalog(types, overrides);
        }
    }
}
