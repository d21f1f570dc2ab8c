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

/// <summary>One field of an entity type.</summary>
/// <param name="Name">Field name as it appears in JSON (case-sensitive).</param>
/// <param name="Type">Accepted JSON kind.</param>
/// <param name="Required">Must be present on create and can never be cleared.</param>
/// <param name="MaxLength">For strings: most characters; for lists: most items.</param>
public sealed record FieldSchema(string Name, FieldType Type, bool Required = false, int? MaxLength = null);

/// <summary>
/// An entity type as configuration: its fields, the fields the merge never takes from a client, and
/// its conflict policy. <see cref="Singleton"/> types (settings) hold one entity per tenant, id <c>default</c>.
/// </summary>
public sealed record EntityTypeSchema(
    string Name,
    IReadOnlyList<FieldSchema> Fields,
    IReadOnlyList<string> PreservedFields,
    ConflictPolicy ConflictPolicy = ConflictPolicy.Reject,
    bool Singleton = false)
{
    /// <summary>The id of the one entity of a singleton type.</summary>
    public const string SingletonId = "default";

    /// <summary>The schema of a field, or null when the type has no such field.</summary>
    public FieldSchema? Field(string name) => Fields.FirstOrDefault(f => f.Name == name);

    /// <summary>True when the merge never takes <paramref name="name"/> from a client on update.</summary>
    public bool IsPreserved(string name) => PreservedFields.Contains(name);
}
