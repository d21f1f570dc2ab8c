using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RealtimeSync.Shared.Entities;

/// <summary>The state of one entity as the merge sees it.</summary>
/// <param name="Version">Per-entity version, bumped once per applied write.</param>
/// <param name="Fields">Field values; a cleared field is absent.</param>
/// <param name="FieldVersions">For each field ever written, the entity version that last changed it.</param>
public sealed record EntitySnapshot(
    long Version,
    IReadOnlyDictionary<string, JsonNode?> Fields,
    IReadOnlyDictionary<string, long> FieldVersions);

/// <summary>A client's write: only the fields it changes, and the version it started from.</summary>
/// <param name="Fields">Field → new value; a JSON null clears the field.</param>
/// <param name="BaseVersion">The entity version the editor loaded; required for updates, 0 or null for creates.</param>
public sealed record EntityPatch(IReadOnlyDictionary<string, JsonNode?> Fields, long? BaseVersion);

/// <summary>What a merge did.</summary>
public enum MergeStatus
{
    /// <summary>A new version was produced.</summary>
    Applied,

    /// <summary>Nothing changed: no version bump, no change event, no push.</summary>
    NoChange,

    /// <summary>Refused: another editor changed the same field(s) and the policy is <see cref="ConflictPolicy.Reject"/>.</summary>
    Conflict,

    /// <summary>Refused: the write is not valid for the type.</summary>
    Invalid,
}

/// <summary>A validation failure of one field (or of <c>baseVersion</c>).</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>A field changed both by another editor since the base version and by this write.</summary>
public sealed record FieldConflict(string Field, JsonNode? ServerValue, JsonNode? ClientValue);

/// <summary>The outcome of <see cref="SmartMerge"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="State">The entity after the merge (unchanged unless <see cref="MergeStatus.Applied"/>).</param>
/// <param name="Changed">Fields whose value this write changed, with their new values in <paramref name="State"/>.</param>
/// <param name="Merged">Fields other editors changed since the base version that this write left as they are.</param>
/// <param name="Preserved">Fields the client sent that the merge never takes from a client (ignored).</param>
/// <param name="Conflicts">Same-field conflicts: the reason for a refusal, or what last-writer-wins overwrote.</param>
/// <param name="Errors">Validation failures (only with <see cref="MergeStatus.Invalid"/>).</param>
public sealed record MergeResult(
    MergeStatus Status,
    EntitySnapshot State,
    IReadOnlyList<string> Changed,
    IReadOnlyList<string> Merged,
    IReadOnlyList<string> Preserved,
    IReadOnlyList<FieldConflict> Conflicts,
    IReadOnlyList<FieldError> Errors);

/// <summary>
/// The field-preserving smart merge (DESIGN §5), pure and deterministic:
/// preserved fields are never taken from a client on update; absent fields are kept; explicit null clears
/// (never a required field); a 3-way merge against the base version lets concurrent edits of different
/// fields both survive, while the same field changed by both sides is a conflict handled by the type's
/// policy; a write that changes nothing produces nothing.
/// </summary>
public static class SmartMerge
{
    private static readonly IReadOnlyList<string> None = [];

    /// <summary>
    /// A new entity. Preserved fields are accepted here as initial values (imports carry employeeId,
    /// joinDate…); <c>createdAt</c>, when the type has it and the client did not send it, is set to <paramref name="now"/>.
    /// </summary>
    public static MergeResult Create(EntityTypeSchema schema, EntityPatch patch, DateTimeOffset now)
    {
        var empty = new EntitySnapshot(0, new Dictionary<string, JsonNode?>(), new Dictionary<string, long>());
        var errors = Validate(schema, patch.Fields, creating: true);
        if (patch.BaseVersion is not (null or 0))
        {
            errors.Add(new FieldError("baseVersion", "must be 0 or absent when creating"));
        }

        if (errors.Count > 0)
        {
            return Invalid(empty, errors);
        }

        var fields = patch.Fields.Where(f => f.Value is not null).ToDictionary(f => f.Key, f => f.Value!.DeepClone());
        if (schema.Field("createdAt") is not null && !fields.ContainsKey("createdAt"))
        {
            fields["createdAt"] = JsonValue.Create(now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        }

        var state = new EntitySnapshot(1, fields!, fields.Keys.ToDictionary(k => k, _ => 1L));
        return new MergeResult(MergeStatus.Applied, state, fields.Keys.Order(StringComparer.Ordinal).ToList(), None, None, [], []);
    }

    /// <summary>Merges <paramref name="patch"/> into <paramref name="current"/> (see the type's remarks).</summary>
    public static MergeResult Update(EntityTypeSchema schema, EntitySnapshot current, EntityPatch patch)
    {
        var errors = Validate(schema, patch.Fields, creating: false);
        if (patch.BaseVersion is not { } baseVersion)
        {
            errors.Add(new FieldError("baseVersion", "is required: the entity version this edit started from"));
            baseVersion = 0;
        }
        else if (baseVersion < 1 || baseVersion > current.Version)
        {
            errors.Add(new FieldError("baseVersion", $"must be between 1 and the current version {current.Version}"));
        }

        if (errors.Count > 0)
        {
            return Invalid(current, errors);
        }

        var preserved = new List<string>();
        var changes = new Dictionary<string, JsonNode?>();
        var conflicts = new List<FieldConflict>();
        foreach (var (name, value) in patch.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (schema.IsPreserved(name))
            {
                preserved.Add(name);
                continue;
            }

            current.Fields.TryGetValue(name, out var existing);
            if (SameValue(existing, value))
            {
                continue; // already so: nothing to write and nothing to conflict about
            }

            if (current.FieldVersions.GetValueOrDefault(name) > baseVersion)
            {
                conflicts.Add(new FieldConflict(name, existing?.DeepClone(), value?.DeepClone()));
            }

            changes[name] = value;
        }

        var merged = current.FieldVersions
            .Where(f => f.Value > baseVersion && !patch.Fields.ContainsKey(f.Key))
            .Select(f => f.Key)
            .Order(StringComparer.Ordinal)
            .ToList();

        if (conflicts.Count > 0 && schema.ConflictPolicy == ConflictPolicy.Reject)
        {
            return new MergeResult(MergeStatus.Conflict, current, None, merged, preserved, conflicts, []);
        }

        if (changes.Count == 0)
        {
            return new MergeResult(MergeStatus.NoChange, current, None, merged, preserved, [], []);
        }

        var version = current.Version + 1;
        var fields = current.Fields.ToDictionary(f => f.Key, f => f.Value);
        var fieldVersions = current.FieldVersions.ToDictionary(f => f.Key, f => f.Value);
        foreach (var (name, value) in changes)
        {
            if (value is null)
            {
                fields.Remove(name);
            }
            else
            {
                fields[name] = value.DeepClone();
            }

            fieldVersions[name] = version;
        }

        return new MergeResult(
            MergeStatus.Applied,
            new EntitySnapshot(version, fields, fieldVersions),
            changes.Keys.ToList(),
            merged,
            preserved,
            conflicts,
            []);
    }

    /// <summary>Checks every field of a write against the type; errors name the field.</summary>
    public static List<FieldError> Validate(EntityTypeSchema schema, IReadOnlyDictionary<string, JsonNode?> fields, bool creating)
    {
        var errors = new List<FieldError>();
        foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var field = schema.Field(name);
            if (field is null)
            {
                errors.Add(new FieldError(name, $"is not a field of {schema.Name}"));
                continue;
            }

            if (value is null)
            {
                if (field.Required && !creating)
                {
                    // On create the check below reports the missing value once.
                    errors.Add(new FieldError(name, "is required and cannot be cleared"));
                }

                continue;
            }

            if (TypeError(field, value) is { } message)
            {
                errors.Add(new FieldError(name, message));
            }
        }

        if (creating)
        {
            foreach (var field in schema.Fields.Where(f => f.Required))
            {
                if (!fields.TryGetValue(field.Name, out var value) || value is null)
                {
                    errors.Add(new FieldError(field.Name, "is required"));
                }
            }
        }

        return errors;
    }

    /// <summary>JSON equality where an absent field and a JSON null are the same (both mean "no value").</summary>
    public static bool SameValue(JsonNode? a, JsonNode? b) =>
        (a is null || a.GetValueKind() == JsonValueKind.Null) && (b is null || b.GetValueKind() == JsonValueKind.Null)
        || (a is not null && b is not null && JsonNode.DeepEquals(a, b));

    private static string? TypeError(FieldSchema field, JsonNode value)
    {
        var kind = value.GetValueKind();
        switch (field.Type)
        {
            case FieldType.String:
                if (kind != JsonValueKind.String)
                {
                    return "must be a string";
                }

                return field.MaxLength is { } max && TextOf(value).Length > max ? $"must be at most {max} characters" : null;
            case FieldType.Number:
                return kind == JsonValueKind.Number ? null : "must be a number";
            case FieldType.Integer:
                return kind == JsonValueKind.Number && value.AsValue().TryGetValue<long>(out _) ? null
                    : kind == JsonValueKind.Number && decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d) && d is >= long.MinValue and <= long.MaxValue ? null
                    : "must be a whole number";
            case FieldType.Boolean:
                return kind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";
            case FieldType.Date:
                // System.Text.Json's ISO-8601 reader: DateTimeOffset.TryParse would also take "03/04/2024" or "12:00".
                return kind == JsonValueKind.String && JsonElement.Parse(value.ToJsonString()).TryGetDateTimeOffset(out _)
                    ? null
                    : "must be an ISO-8601 date or date-time string";
            case FieldType.StringList:
                if (value is not JsonArray list || list.Any(i => i is null || i.GetValueKind() != JsonValueKind.String))
                {
                    return "must be an array of strings";
                }

                return field.MaxLength is { } most && list.Count > most ? $"must have at most {most} items" : null;
            default:
                return null;
        }
    }

    /// <summary>The text of a JSON string, whether a request's JsonElement or a value built in code (DateTimeOffset, Guid…) backs it.</summary>
    private static string TextOf(JsonNode value) =>
        value.AsValue().TryGetValue<string>(out var text) ? text : JsonElement.Parse(value.ToJsonString()).GetString()!;

    private static MergeResult Invalid(EntitySnapshot state, List<FieldError> errors) =>
        new(MergeStatus.Invalid, state, None, None, None, [], errors);
}
