using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Admin.Editing;

/// <summary>A list column of an entity type, as the schema's display metadata describes it.</summary>
/// <param name="Field">The field shown.</param>
/// <param name="Label">The column header.</param>
/// <param name="OnPhone">Kept on a phone-wide screen (others are hidden there).</param>
public sealed record ListColumnView(FieldSchema Field, string Label, bool OnPhone);

/// <summary>Maps an entity type's schema to the columns and texts of its list (pure; the list page renders it).</summary>
public static class ListColumns
{
    /// <summary>The schema's list fields; a type that names none shows its title field (or first string field).</summary>
    public static IReadOnlyList<ListColumnView> For(EntityTypeSchema schema)
    {
        var fields = schema.ListFields;
        if (fields.Count == 0)
        {
            var fallback = (schema.TitleField is { } title ? schema.Field(title) : null)
                ?? schema.Fields.FirstOrDefault(f => f.Type == FieldType.String);
            return fallback is null ? [] : [new ListColumnView(fallback, fallback.DisplayLabel, OnPhone: true)];
        }

        return fields.Select(f => new ListColumnView(f, f.DisplayLabel, f.List == ListColumn.Always)).ToList();
    }

    /// <summary>A cell's text: booleans as Yes/No, lists joined, other values as the editor shows them.</summary>
    public static string Cell(FieldSchema field, System.Text.Json.Nodes.JsonObject fields) =>
        fields[field.Name] is not { } value ? ""
        : field.Type == FieldType.Boolean ? (FieldText.Format(field, value) == "true" ? "Yes" : "No")
        : FieldText.Format(field, value);

    /// <summary>True when any text or list field of the entity, or its id, contains <paramref name="search"/> (case-insensitive).</summary>
    public static bool Matches(EntityTypeSchema schema, EntityDto entity, string? search) =>
        string.IsNullOrWhiteSpace(search)
        || entity.Id.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)
        || schema.Fields.Where(f => f.Type is FieldType.String or FieldType.StringList)
            .Any(f => Cell(f, entity.Fields).Contains(search.Trim(), StringComparison.OrdinalIgnoreCase));
}
