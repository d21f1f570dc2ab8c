using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Admin.Editing;

/// <summary>One field in an open editor: what the server has, what the editor typed, and what a colleague just changed.</summary>
public sealed class FieldDraft(FieldSchema schema, bool locked)
{
    public FieldSchema Schema { get; } = schema;

    public string Name => Schema.Name;

    /// <summary>Not editable here: a preserved field of an existing entity, or a server-managed one.</summary>
    public bool Locked { get; } = locked;

    /// <summary>The server's value as text (what "no change" means).</summary>
    public string BaseText { get; set; } = "";

    /// <summary>The editor's value as text.</summary>
    public string Text { get; set; } = "";

    /// <summary>A colleague changed this field while it had unsaved edits: their value and name, until resolved.</summary>
    public (string Text, string Actor)? Incoming { get; set; }

    /// <summary>Set when a colleague's change was applied in place (the UI highlights it briefly).</summary>
    public string? UpdatedBy { get; set; }

    public string? Error { get; set; }

    public bool Dirty => !Locked && Text != BaseText;
}

/// <summary>
/// The state of one entity editor, kept as text per field. The rules of live collaboration live here so
/// they can be tested without a browser:
/// a colleague's change to a field this editor has not touched is applied in place; a change to a field
/// it is editing is shown as <see cref="FieldDraft.Incoming"/> (keep mine / take theirs) and never silently
/// replaces what was typed; a save sends only the touched fields with the newest version seen as base.
/// </summary>
public sealed class EntityDraft
{
    private EntityDraft(EntityTypeSchema schema, string? id, bool isNew)
    {
        Schema = schema;
        Id = id;
        IsNew = isNew;
        Fields = schema.Fields.Select(f => new FieldDraft(f, Locks(schema, f.Name, isNew))).ToList();
    }

    public EntityTypeSchema Schema { get; }

    public string? Id { get; private set; }

    public bool IsNew { get; private set; }

    /// <summary>The newest server version this editor has absorbed (the base of its next save).</summary>
    public long Version { get; private set; }

    public IReadOnlyList<FieldDraft> Fields { get; }

    public bool HasChanges => Fields.Any(f => f.Dirty);

    public bool HasUnresolved => Fields.Any(f => f.Incoming is not null);

    public FieldDraft this[string name] => Fields.First(f => f.Name == name);

    public static EntityDraft New(EntityTypeSchema schema) => new(schema, schema.Singleton ? EntityTypeSchema.SingletonId : null, isNew: true);

    public static EntityDraft Open(EntityTypeSchema schema, EntityDto entity)
    {
        var draft = new EntityDraft(schema, entity.Id, isNew: false);
        draft.Load(entity);
        return draft;
    }

    /// <summary>Takes the server's state for every field (after opening or a successful save).</summary>
    public void Load(EntityDto entity)
    {
        Id = entity.Id;
        IsNew = false;
        Version = entity.Version;
        foreach (var field in Fields)
        {
            var text = FieldText.Format(field.Schema, entity.Fields[field.Name]);
            field.BaseText = text;
            field.Text = text;
            field.Incoming = null;
            field.Error = null;
        }
    }

    /// <summary>A colleague's committed change (pushed). Returns false when it was already seen.</summary>
    public bool ApplyRemote(EntityChangedEvent change)
    {
        if (IsNew || change.Id != Id || change.Version <= Version)
        {
            return false;
        }

        Version = change.Version;
        foreach (var (name, value) in change.Changed)
        {
            if (Fields.FirstOrDefault(f => f.Name == name) is not { } field)
            {
                continue;
            }

            var theirs = FieldText.Format(field.Schema, value);
            if (!field.Dirty)
            {
                field.BaseText = theirs;
                field.Text = theirs;
                field.UpdatedBy = change.Actor;
            }
            else if (field.Text == theirs)
            {
                field.BaseText = theirs; // they typed the same thing: nothing left to save or resolve
            }
            else
            {
                field.BaseText = theirs;
                field.Incoming = (theirs, change.Actor);
            }
        }

        return true;
    }

    public void KeepMine(string name) => this[name].Incoming = null;

    public void TakeTheirs(string name)
    {
        var field = this[name];
        if (field.Incoming is { } incoming)
        {
            field.Text = incoming.Text;
            field.Incoming = null;
        }
    }

    /// <summary>The server refused the save (someone changed the same fields first): flag them for a decision.</summary>
    public void MarkConflicts(IReadOnlyList<FieldConflict> conflicts, EntityDto server, string actor)
    {
        Version = server.Version;
        foreach (var field in Fields)
        {
            var serverText = FieldText.Format(field.Schema, server.Fields[field.Name]);
            if (conflicts.Any(c => c.Field == field.Name))
            {
                field.BaseText = serverText;
                field.Incoming = (serverText, actor);
            }
            else if (!field.Dirty)
            {
                field.BaseText = serverText;
                field.Text = serverText;
            }
            else
            {
                field.BaseText = serverText;
            }
        }
    }

    /// <summary>The touched fields as JSON values; false (with per-field errors set) when one cannot be parsed.</summary>
    public bool TryGetChanges(out Dictionary<string, JsonNode?> values)
    {
        values = [];
        var ok = true;
        foreach (var field in Fields.Where(f => IsNew ? f.Text.Length > 0 && !f.Locked : f.Dirty))
        {
            field.Error = null;
            if (FieldText.TryParse(field.Schema, field.Text, out var value, out var error))
            {
                values[field.Name] = value;
            }
            else
            {
                field.Error = error;
                ok = false;
            }
        }

        return ok;
    }

    public void ShowErrors(IReadOnlyList<FieldError> errors)
    {
        foreach (var field in Fields)
        {
            field.Error = errors.FirstOrDefault(e => e.Field == field.Name)?.Message;
        }
    }

    private static bool Locks(EntityTypeSchema schema, string field, bool isNew) =>
        field == "createdAt" || (!isNew && schema.IsPreserved(field));
}

/// <summary>Field values as the text an editor types, and back.</summary>
public static class FieldText
{
    public static string Format(FieldSchema field, JsonNode? value)
    {
        if (value is null || value.GetValueKind() == JsonValueKind.Null)
        {
            return "";
        }

        return field.Type switch
        {
            FieldType.String or FieldType.Date when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            FieldType.StringList when value is JsonArray list => string.Join(", ", list.Select(i => i?.ToString() ?? "")),
            FieldType.Boolean => value.GetValueKind() == JsonValueKind.True ? "true" : "false",
            _ => value.ToJsonString(),
        };
    }

    /// <summary>Empty text clears the field (JSON null); otherwise the text must fit the field's type.</summary>
    public static bool TryParse(FieldSchema field, string text, out JsonNode? value, out string? error)
    {
        value = null;
        error = null;
        if (text.Length == 0)
        {
            return true;
        }

        switch (field.Type)
        {
            case FieldType.String:
            case FieldType.Date:
                value = JsonValue.Create(text);
                return true;
            case FieldType.Boolean:
                if (bool.TryParse(text, out var flag))
                {
                    value = JsonValue.Create(flag);
                    return true;
                }

                error = "must be true or false";
                return false;
            case FieldType.Integer:
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
                {
                    value = JsonValue.Create(whole);
                    return true;
                }

                error = "must be a whole number";
                return false;
            case FieldType.Number:
                if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    value = JsonValue.Create(number);
                    return true;
                }

                error = "must be a number";
                return false;
            case FieldType.StringList:
                value = new JsonArray(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
                return true;
            default:
                try
                {
                    value = JsonNode.Parse(text);
                    return true;
                }
                catch (JsonException e)
                {
                    error = $"is not valid JSON: {e.Message}";
                    return false;
                }
        }
    }
}
