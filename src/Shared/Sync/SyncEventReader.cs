using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RealtimeSync.Shared.Entities;

namespace RealtimeSync.Shared.Sync;

/// <summary>
/// Reads one outbox event from its JSON, naming every bad field. Pure: knows nothing of tenants' entity
/// types (the store validates payloads against the type's schema).
/// </summary>
public static partial class SyncEventReader
{
    /// <summary>The result of <see cref="Read"/>: an event, or the reason it is refused (with its id when it had a usable one).</summary>
    public sealed record Result(SyncEvent? Event, string? EventId, IReadOnlyDictionary<string, string[]> Errors);

    /// <summary>
    /// Event properties a client keeps for its own outbox (status, attempts, last attempt, error): part of the
    /// event contract as "ignored, not refused" — they never reach the server's state.
    /// </summary>
    public static readonly IReadOnlySet<string> ClientBookkeeping = new HashSet<string>(StringComparer.Ordinal)
    {
        "status", "attemptCount", "attempts", "lastAttemptAt", "errorMessage", "error",
    };

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "id", "tenantId", "entityType", "entityId", "operation", "payload", "baseVersion", "localVersion", "createdAt",
    };

    /// <summary>Client ids, event ids and entity ids: 1-100 letters, digits, '.', '_', '-' (and ':' for event ids).</summary>
    public static bool IsValidClientId(string? id) => EntityId.IsValid(id);

    /// <summary>Reads the event at <paramref name="node"/>.</summary>
    public static Result Read(JsonNode? node)
    {
        var errors = new Dictionary<string, string[]>();
        if (node is not JsonObject e)
        {
            return new Result(null, null, new Dictionary<string, string[]> { ["event"] = ["must be a JSON object"] });
        }

        var id = String(e, "id", errors, EventIdPattern(), "must be 1-100 characters of letters, digits, '.', '_', ':' or '-'");
        var tenant = String(e, "tenantId", errors, null, "must be a tenant id");
        var type = String(e, "entityType", errors, null, "must be an entity type name");
        var entityId = String(e, "entityId", errors, null, EntityId.Rule);
        if (entityId is not null && !EntityId.IsValid(entityId))
        {
            errors["entityId"] = [EntityId.Rule];
            entityId = null;
        }

        SyncOperation? operation = null;
        if (e["operation"] is JsonValue op && op.GetValueKind() == JsonValueKind.String)
        {
            operation = op.GetValue<string>().ToUpperInvariant() switch
            {
                "CREATE" => SyncOperation.Create,
                "UPDATE" => SyncOperation.Update,
                "DELETE" => SyncOperation.Delete,
                _ => null,
            };
        }

        if (operation is null)
        {
            errors["operation"] = ["must be CREATE, UPDATE or DELETE"];
        }

        JsonObject payload = [];
        if (e.TryGetPropertyValue("payload", out var payloadNode) && payloadNode is not null)
        {
            if (payloadNode is JsonObject given)
            {
                payload = given;
            }
            else
            {
                errors["payload"] = ["must be a JSON object of field values"];
            }
        }
        else if (operation is SyncOperation.Create or SyncOperation.Update)
        {
            errors["payload"] = ["is required for CREATE and UPDATE"];
        }

        var baseVersion = Version(e, "baseVersion", errors) ?? Version(e, "localVersion", errors);
        if (operation == SyncOperation.Update && baseVersion is null && !errors.ContainsKey("baseVersion") && !errors.ContainsKey("localVersion"))
        {
            errors["baseVersion"] = ["is required for UPDATE: the server version the change started from"];
        }

        DateTimeOffset? createdAt = null;
        if (e.TryGetPropertyValue("createdAt", out var created) && created is not null)
        {
            if (created.GetValueKind() == JsonValueKind.String
                && DateTimeOffset.TryParse(created.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                createdAt = at;
            }
            else
            {
                errors["createdAt"] = ["must be an ISO 8601 date-time"];
            }
        }

        // The client's own outbox bookkeeping travels with the event when an app sends its outbox rows as they
        // are (the shape of docs in seeds and of RealtimeSync.Client's table): those names are known, allowed and
        // dropped; any other unknown property is still refused so a misspelt field never goes silently missing.
        foreach (var extra in e.Select(p => p.Key).Where(k => !Known.Contains(k) && !ClientBookkeeping.Contains(k)))
        {
            errors[extra] = ["is not a known event property"];
        }

        if (errors.Count > 0)
        {
            return new Result(null, errors.ContainsKey("id") ? null : id, errors);
        }

        // The payload is detached from the request's document so the event can outlive it.
        var detached = (JsonObject)payload.DeepClone();
        return new Result(new SyncEvent(id!, tenant!, type!, entityId!, operation!.Value, detached, baseVersion, createdAt), id, errors);
    }

    private static string? String(JsonObject e, string name, Dictionary<string, string[]> errors, Regex? pattern, string message)
    {
        if (e[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>();
            if (text.Length is > 0 and <= 100 && (pattern is null || pattern.IsMatch(text)))
            {
                return text;
            }
        }

        errors[name] = [message];
        return null;
    }

    private static long? Version(JsonObject e, string name, Dictionary<string, string[]> errors)
    {
        if (!e.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<long>(out var v) && v >= 0)
        {
            return v;
        }

        errors[name] = ["must be a whole number >= 0"];
        return null;
    }

    [GeneratedRegex(@"\A[A-Za-z0-9._:-]{1,100}\z")]
    private static partial Regex EventIdPattern();
}
