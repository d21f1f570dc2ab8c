using System.Text.Json.Serialization;

namespace RealtimeSync.Shared.Entities;

/// <summary>The JSON kind a field accepts.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FieldType>))]
public enum FieldType
{
    /// <summary>A JSON string.</summary>
    String,

    /// <summary>Any JSON number.</summary>
    Number,

    /// <summary>A JSON number without a fractional part.</summary>
    Integer,

    /// <summary>true or false.</summary>
    Boolean,

    /// <summary>A string holding an ISO-8601 date or date-time.</summary>
    Date,

    /// <summary>An array of strings.</summary>
    StringList,

    /// <summary>Any JSON value (object, array…), stored as given.</summary>
    Json,
}

/// <summary>What a write does when another editor changed the same field since its base version.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConflictPolicy>))]
public enum ConflictPolicy
{
    /// <summary>The whole write is refused (HTTP 409) with the server state and the conflicting fields.</summary>
    Reject,

    /// <summary>The write is applied; the overwritten fields are reported as conflicts.</summary>
    LastWriterWins,
}

/// <summary>Where a field shows as a column of its type's list.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ListColumn>))]
public enum ListColumn
{
    /// <summary>Not a list column (seen on the record's page).</summary>
    No,

    /// <summary>A column on screens wider than a phone.</summary>
    Wide,

    /// <summary>A column on every screen, a phone's too.</summary>
    Always,
}

/// <summary>One field of an entity type.</summary>
/// <param name="Name">Field name as it appears in JSON (case-sensitive).</param>
/// <param name="Type">Accepted JSON kind.</param>
/// <param name="Required">Must be present on create and can never be cleared.</param>
/// <param name="MaxLength">For strings: most characters; for lists: most items.</param>
/// <param name="Label">What people read instead of <paramref name="Name"/>; null derives one from the name ("photoUrl" → "Photo URL").</param>
/// <param name="List">Whether and where the field is a column of the type's list.</param>
/// <param name="Image">The value is the URL of an image (editors show a preview).</param>
public sealed record FieldSchema(
    string Name,
    FieldType Type,
    bool Required = false,
    int? MaxLength = null,
    string? Label = null,
    ListColumn List = ListColumn.No,
    bool Image = false)
{
    /// <summary><see cref="Label"/>, or one made from the name: words split at capitals, "Url" and "Id" upper-cased.</summary>
    public string DisplayLabel => Label ?? DisplayNames.FromName(Name);
}

/// <summary>
/// An entity type as configuration: its fields, the fields the merge never takes from a client, and
/// its conflict policy. <see cref="Singleton"/> types (settings) hold one entity per tenant, id <c>default</c>.
/// </summary>
public sealed record EntityTypeSchema(
    string Name,
    IReadOnlyList<FieldSchema> Fields,
    IReadOnlyList<string> PreservedFields,
    ConflictPolicy ConflictPolicy = ConflictPolicy.Reject,
    bool Singleton = false,
    string? TitleField = null,
    string? Label = null)
{
    /// <summary>What people read instead of the type's name ("team" → "Team").</summary>
    public string DisplayName => Label ?? DisplayNames.FromName(Name);

    /// <summary>The fields shown as list columns, in schema order (the title field first when it is one).</summary>
    public IReadOnlyList<FieldSchema> ListFields => Fields.Where(f => f.List != ListColumn.No).OrderBy(f => f.Name == TitleField ? 0 : 1).ToList();

    /// <summary>
    /// The title of an entity: its <see cref="TitleField"/> (else the first required string field) when set, otherwise its id.
    /// </summary>
    public string Title(string id, System.Text.Json.Nodes.JsonObject fields)
    {
        var name = TitleField ?? Fields.FirstOrDefault(f => f.Required && f.Type == FieldType.String)?.Name;
        return name is not null && fields[name] is System.Text.Json.Nodes.JsonValue v
            && v.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) ? text : id;
    }

    /// <summary>The id of the one entity of a singleton type.</summary>
    public const string SingletonId = "default";

    /// <summary>The schema of a field, or null when the type has no such field.</summary>
    public FieldSchema? Field(string name) => Fields.FirstOrDefault(f => f.Name == name);

    /// <summary>True when the merge never takes <paramref name="name"/> from a client on update.</summary>
    public bool IsPreserved(string name) => PreservedFields.Contains(name);
}

/// <summary>Labels derived from JSON names, for schemas that do not name their own.</summary>
public static class DisplayNames
{
    private static readonly HashSet<string> Acronyms = new(StringComparer.OrdinalIgnoreCase) { "url", "id", "uri", "api", "json", "html" };

    /// <summary>"photoUrl" → "Photo URL", "createdAt" → "Created at", "team" → "Team".</summary>
    public static string FromName(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return name;
        }

        var words = new List<string>();
        var start = 0;
        for (var i = 1; i <= name.Length; i++)
        {
            if (i == name.Length || char.IsUpper(name[i]) || name[i] is '_' or '-')
            {
                var word = name[start..i].Trim('_', '-');
                if (word.Length > 0)
                {
                    words.Add(word);
                }

                start = i;
            }
        }

        var text = string.Join(' ', words.Select((w, i) =>
            Acronyms.Contains(w) ? w.ToUpperInvariant() : i == 0 ? char.ToUpperInvariant(w[0]) + w[1..] : w.ToLowerInvariant()));
        return text;
    }
}
