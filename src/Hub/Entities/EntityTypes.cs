using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// The entity-type catalog as currently configured, read at use time so a configuration reload applies
/// without a restart:
/// <list type="bullet">
/// <item><c>Entities:Definitions:{type}</c> defines a type (Fields[] of Name/Type/Required/MaxLength and display
/// metadata Label/List (No|Wide|Always)/Image, PreservedFields[], ConflictPolicy, Singleton, TitleField, Label) or replaces a built-in one;</item>
/// <item><c>Entities:Types</c> lists which types exist (default: every built-in and defined type);</item>
/// <item><c>Entities:Overrides:{tenant}:{type}</c> changes PreservedFields, ConflictPolicy or adds ExtraFields for one tenant.</item>
/// </list>
/// </summary>
public sealed class EntityTypes(IConfiguration configuration)
{
    public EntityTypeCatalog Current
    {
        get
        {
            var all = DefaultEntityTypes.All.ToDictionary(t => t.Name);
            var order = DefaultEntityTypes.All.Select(t => t.Name).ToList();
            foreach (var definition in configuration.GetSection("Entities:Definitions").GetChildren())
            {
                all[definition.Key] = new EntityTypeSchema(
                    definition.Key,
                    Fields(definition.GetSection("Fields")),
                    definition.GetSection("PreservedFields").Get<string[]>() ?? [],
                    Enum.TryParse<ConflictPolicy>(definition["ConflictPolicy"], ignoreCase: true, out var policy) ? policy : ConflictPolicy.Reject,
                    definition.GetValue<bool?>("Singleton") ?? false,
                    definition["TitleField"],
                    definition["Label"]);
                if (!order.Contains(definition.Key))
                {
                    order.Add(definition.Key);
                }
            }

            var names = configuration.GetSection("Entities:Types").Get<string[]>();
            var types = (names is { Length: > 0 } ? names.Where(all.ContainsKey) : order).Select(n => all[n]).ToList();

            var overrides = new Dictionary<string, IReadOnlyDictionary<string, EntityTypeOverride>>();
            foreach (var tenant in configuration.GetSection("Entities:Overrides").GetChildren())
            {
                overrides[tenant.Key] = tenant.GetChildren().ToDictionary(
                    t => t.Key,
                    t => new EntityTypeOverride(
                        t.GetSection("PreservedFields").Exists() ? t.GetSection("PreservedFields").Get<string[]>() ?? [] : null,
                        Enum.TryParse<ConflictPolicy>(t["ConflictPolicy"], ignoreCase: true, out var policy) ? policy : null,
                        t.GetSection("ExtraFields").Exists() ? Fields(t.GetSection("ExtraFields")) : null));
            }

            return new EntityTypeCatalog(types, overrides);
        }
    }

    private static List<FieldSchema> Fields(IConfigurationSection section) => section.GetChildren()
        .Where(f => !string.IsNullOrWhiteSpace(f["Name"]))
        .Select(f => new FieldSchema(
            f["Name"]!,
            Enum.TryParse<FieldType>(f["Type"], ignoreCase: true, out var type) ? type : FieldType.String,
            f.GetValue<bool?>("Required") ?? false,
            f.GetValue<int?>("MaxLength"),
            f["Label"],
            Enum.TryParse<ListColumn>(f["List"], ignoreCase: true, out var list) ? list : ListColumn.No,
            f.GetValue<bool?>("Image") ?? false))
        .ToList();
}
