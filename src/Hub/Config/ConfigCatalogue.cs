using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RealtimeSync.Hub.Config;

/// <summary>The JSON shape a key's value must have.</summary>
public enum ConfigValueKind
{
    Integer,
    String,
    Url,
    Object,
}

/// <summary>
/// One key the store manages: its IConfiguration path (its value is served at that path, an object's
/// members below it), schema and default (used when neither the store nor appsettings has a value).
/// </summary>
/// <param name="Secret">Never logged, never returned by the API or the admin (shown masked), and never kept in the store:
/// a secret comes from appsettings / the environment / the command line only, so it is not copied into files or Redis
/// and a store value cannot shadow the one the operator set.</param>
/// <param name="Check">Extra rule for object values: null when acceptable, otherwise what is wrong.</param>
public sealed record ConfigKey(
    string Name,
    ConfigValueKind Kind,
    string Description,
    JsonElement Default,
    long? Min = null,
    long? Max = null,
    bool Secret = false,
    Func<JsonElement, string?>? Check = null)
{
    /// <summary>Null when <paramref name="value"/> fits the schema, otherwise what is wrong (for the problem's errors).</summary>
    public string? Problem(JsonElement value)
    {
        switch (Kind)
        {
            case ConfigValueKind.Integer:
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
                {
                    return "must be a whole number";
                }

                return number < (Min ?? long.MinValue) || number > (Max ?? long.MaxValue)
                    ? $"must be from {Min} to {Max}"
                    : null;
            case ConfigValueKind.String:
                if (value.ValueKind != JsonValueKind.String)
                {
                    return "must be a string";
                }

                var length = value.GetString()!.Length;
                return length < (Min ?? 0) || length > (Max ?? 4096)
                    ? length == 0 ? "must not be empty" : $"must be {Min ?? 0} to {Max ?? 4096} characters long"
                    : null;
            case ConfigValueKind.Url:
                if (value.ValueKind != JsonValueKind.String)
                {
                    return "must be a string";
                }

                var text = value.GetString()!;
                return text.Length == 0 && Min is null or 0 ? null
                    : Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                        ? null
                        : "must be an absolute http(s) URL";
            case ConfigValueKind.Object:
                return value.ValueKind != JsonValueKind.Object ? "must be a JSON object" : Check?.Invoke(value);
            default:
                return "has an unknown type";
        }
    }

    /// <summary>The environment variable that sets this key (<c>OnlyOffice__JwtSecret</c>).</summary>
    public string EnvironmentName => Name.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>The value as shown to people and written to logs: secrets masked.</summary>
    public string Display(JsonElement value) =>
        Secret ? (value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0 ? "(empty)" : "***") : value.GetRawText();
}

/// <summary>
/// Every key the config store manages. To add one, add a line here (and its default to appsettings.json
/// and the README's table); features then read it at use time through IConfiguration / IOptionsMonitor.
/// </summary>
public static partial class ConfigCatalogue
{
    public static readonly IReadOnlyList<ConfigKey> All =
    [
        Integer("Realtime:History:MaxCount", 1000, 1, 1_000_000, "publications kept per channel for recovery"),
        Integer("Realtime:History:MaxAgeSeconds", 600, 1, 7 * 86_400, "how long publications are kept for recovery"),
        Integer("Realtime:Presence:TtlSeconds", 30, 2, 3600, "a presence entry nobody renews expires after this"),
        new("Entities:Overrides", ConfigValueKind.Object, "per tenant and entity type: PreservedFields, ConflictPolicy, ExtraFields",
            Json("{}"), Check: EntityOverridesProblem),
        Integer("SiteTokens:MaxTtlSeconds", 3600, 60, 86_400, "longest subscriber token a site key can mint"),
        Integer("Limits:MaxRequestBodyBytes", 1_048_576, 1024, 1L << 30, "larger request bodies get 413"),
        Integer("Sync:RateLimits:PerClient:PermitLimit", 120, 0, 1_000_000, "sync requests one client may make per window (0: no limit)"),
        Integer("Sync:RateLimits:PerClient:WindowSeconds", 60, 1, 86_400, "the per-client rate-limit window"),
        Integer("Sync:RateLimits:PerTenant:PermitLimit", 1200, 0, 10_000_000, "sync requests one tenant may make per window (0: no limit)"),
        Integer("Sync:RateLimits:PerTenant:WindowSeconds", 60, 1, 86_400, "the per-tenant rate-limit window"),
        Integer("Sync:MaxBatchEvents", 2000, 1, 100_000, "events accepted in one sync/up batch"),
        Integer("Sync:ReceiptRetentionDays", 30, 1, 3650, "sync/up receipts (idempotency) are kept this long"),
        Integer("Sync:TombstoneRetentionDays", 30, 1, 3650, "deleted documents are reported to sync clients for this long"),
        Integer("Sync:DownloadUrlMaxExpirySeconds", 3600, 10, 7 * 86_400, "longest expiry of a document download link"),
        Integer("Documents:MaxUploadBytes", 104_857_600, 1024, 1L << 40, "largest document upload"),
        Integer("Documents:ForceSaveWaitSeconds", 20, 1, 600, "how long a force-save waits for Document Server's version"),
        new("OnlyOffice:DocumentServerUrl", ConfigValueKind.Url, "the ONLYOFFICE Document Server (empty: documents disabled)", Json("\"\"")),
        new("OnlyOffice:CallbackBaseUrl", ConfigValueKind.Url, "public base URL Document Server uses to reach the hub (empty: the request's own)", Json("\"\"")),
        new("OnlyOffice:JwtSecret", ConfigValueKind.String, "shared JWT secret of the Document Server (empty: callbacks are not signed)",
            Json("\"\""), Secret: true),
    ];

    /// <summary>The keys the store keeps (every key but the secrets).</summary>
    public static readonly IReadOnlyList<ConfigKey> Stored = All.Where(k => !k.Secret).ToList();

    private static readonly Dictionary<string, ConfigKey> ByName = All.ToDictionary(k => k.Name, StringComparer.OrdinalIgnoreCase);

    public static ConfigKey? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>
    /// The key's schema check. Null when valid.
    /// </summary>
    public static string? Problem(ConfigKey key, JsonElement value) => key.Problem(value);

    private static ConfigKey Integer(string name, long fallback, long min, long max, string description) =>
        new(name, ConfigValueKind.Integer, description, Json(fallback.ToString(CultureInfo.InvariantCulture)), min, max);

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static readonly string[] Policies = ["Reject", "LastWriterWins"];

    private static readonly string[] FieldTypes = ["String", "Number", "Integer", "Boolean", "Date", "StringList", "Json"];

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]{0,62}\z")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"\A[A-Za-z][A-Za-z0-9_]{0,63}\z")]
    private static partial Regex FieldName();

    /// <summary><c>{ tenant: { type: { PreservedFields?: [name], ConflictPolicy?: Reject|LastWriterWins, ExtraFields?: [{Name, Type, Required?, MaxLength?}] } } }</c>.</summary>
    private static string? EntityOverridesProblem(JsonElement overrides)
    {
        foreach (var tenant in overrides.EnumerateObject())
        {
            if (!Identifier().IsMatch(tenant.Name) || tenant.Value.ValueKind != JsonValueKind.Object)
            {
                return $"'{tenant.Name}' must be a tenant id holding an object of entity types";
            }

            foreach (var type in tenant.Value.EnumerateObject())
            {
                var at = $"{tenant.Name}.{type.Name}";
                if (!Identifier().IsMatch(type.Name) || type.Value.ValueKind != JsonValueKind.Object)
                {
                    return $"'{at}' must be an entity type name holding an object";
                }

                foreach (var member in type.Value.EnumerateObject())
                {
                    var problem = member.Name switch
                    {
                        "PreservedFields" => member.Value.ValueKind == JsonValueKind.Array
                            && member.Value.EnumerateArray().All(f => f.ValueKind == JsonValueKind.String && FieldName().IsMatch(f.GetString()!))
                                ? null : "must be an array of field names",
                        "ConflictPolicy" => member.Value.ValueKind == JsonValueKind.String && Policies.Contains(member.Value.GetString())
                            ? null : $"must be one of {string.Join(", ", Policies)}",
                        "ExtraFields" => ExtraFieldsProblem(member.Value),
                        _ => "is not a known setting (PreservedFields, ConflictPolicy, ExtraFields)",
                    };
                    if (problem is not null)
                    {
                        return $"'{at}.{member.Name}' {problem}";
                    }
                }
            }
        }

        return null;
    }

    private static string? ExtraFieldsProblem(JsonElement fields)
    {
        if (fields.ValueKind != JsonValueKind.Array)
        {
            return "must be an array of fields";
        }

        foreach (var field in fields.EnumerateArray())
        {
            if (field.ValueKind != JsonValueKind.Object
                || !field.TryGetProperty("Name", out var name) || name.ValueKind != JsonValueKind.String || !FieldName().IsMatch(name.GetString()!)
                || (field.TryGetProperty("Type", out var type) && (type.ValueKind != JsonValueKind.String || !FieldTypes.Contains(type.GetString()))))
            {
                return $"must be an array of {{ Name, Type? ({string.Join("/", FieldTypes)}; default String), Required?, MaxLength? }}";
            }

            if (field.TryGetProperty("Required", out var required) && required.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return "Required must be true or false";
            }

            if (field.TryGetProperty("MaxLength", out var max) && (max.ValueKind != JsonValueKind.Number || !max.TryGetInt32(out var n) || n < 1))
            {
                return "MaxLength must be a positive whole number";
            }
        }

        return null;
    }
}
