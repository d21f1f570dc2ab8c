using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Hub.Config;

/// <param name="Value">The value as JSON, or the string <c>***</c> for a secret.</param>
public sealed record ConfigKeyDto(
    string Key, string Kind, string Description, long? Min, long? Max, bool Secret,
    JsonElement Value, long Version, string Source, DateTimeOffset? UpdatedAt, string? UpdatedBy);

public sealed record ConfigDto(string Mode, bool Degraded, string? Reason, DateTimeOffset? Since, long Version, IReadOnlyList<ConfigKeyDto> Keys);

public sealed record ConfigWrittenDto(string Key, string Outcome, long Version);

public sealed record ConfigVerifyDto(bool Ok, IReadOnlyList<ConfigProblemDto> Problems);

public sealed record ConfigProblemDto(string Key, string Problem);

/// <summary>
/// <c>/api/config</c>: the runtime configuration of the whole deployment (every tenant), so only the operator role
/// reads or writes it (no tenant role implies it). Every client error is a problem naming the field.
/// </summary>
public static class ConfigApi
{
    public static IEndpointRouteBuilder MapConfigApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/config").RequireAuthorization(AuthSetup.ApiPolicy).WithTags("Configuration");
        group.MapGet("/", List).WithName("GetConfig");
        group.MapGet("/history", HistoryAsync).WithName("GetConfigHistory");
        group.MapPost("/verify", VerifyAsync).WithName("VerifyConfig");
        group.MapGet("/{key}", Get).WithName("GetConfigKey");
        group.MapPut("/{key}", PutAsync).WithName("SetConfigKey");
        return app;
    }

    public static Results<Ok<ConfigDto>, ProblemHttpResult> List(ClaimsPrincipal user, ConfigStore store)
    {
        if (NotOperator(user) is { } forbidden)
        {
            return forbidden;
        }

        var status = store.Status;
        return TypedResults.Ok(new ConfigDto(status.Mode, status.Degraded, status.Reason, status.Since, status.Version, store.Entries().Select(Dto).ToList()));
    }

    public static Results<Ok<ConfigKeyDto>, ProblemHttpResult> Get(string key, ClaimsPrincipal user, ConfigStore store) =>
        NotOperator(user) is { } forbidden ? forbidden
        : store.Entry(key) is { } entry ? TypedResults.Ok(Dto(entry))
        : UnknownKey(key);

    public static async Task<Results<Ok<IReadOnlyList<ConfigChange>>, ProblemHttpResult, ValidationProblem>> HistoryAsync(int? limit, ClaimsPrincipal user, ConfigStore store)
    {
        if (NotOperator(user) is { } forbidden)
        {
            return forbidden;
        }

        if (limit is < 1 or > 1000)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["must be from 1 to 1000"] });
        }

        return TypedResults.Ok(await store.HistoryAsync(limit ?? 100));
    }

    public static async Task<Results<Ok<ConfigVerifyDto>, ProblemHttpResult>> VerifyAsync(ClaimsPrincipal user, ConfigStore store)
    {
        if (NotOperator(user) is { } forbidden)
        {
            return forbidden;
        }

        var problems = await store.VerifyAsync();
        return TypedResults.Ok(new ConfigVerifyDto(problems.Count == 0, problems.Select(p => new ConfigProblemDto(p.Key, p.Problem)).ToList()));
    }

    /// <summary><c>PUT /api/config/{key}</c> <c>{ "value": ..., "expectedVersion"?: n }</c>.</summary>
    public static async Task<Results<Ok<ConfigWrittenDto>, ProblemHttpResult, ValidationProblem>> PutAsync(
        string key, HttpRequest request, ClaimsPrincipal user, ConfigStore store, CancellationToken ct)
    {
        if (NotOperator(user) is { } forbidden)
        {
            return forbidden;
        }

        if (ConfigCatalogue.Find(key) is not { } known)
        {
            return UnknownKey(key);
        }

        var (body, bodyError) = await RequestBody.ReadAsync<ConfigWriteRequest>(request, ct, "a JSON object { \"value\": ..., \"expectedVersion\"?: n }",
            new BodyContract { Title = $"Invalid value for {known.Name}", Rules = new Dictionary<string, string> { ["expectedVersion"] = ExpectedVersionRule } });
        if (bodyError is not null)
        {
            return bodyError;
        }

        var errors = new Dictionary<string, string[]>();
        var expected = body!.ExpectedVersion;
        if (expected is < 0)
        {
            errors["expectedVersion"] = [ExpectedVersionRule];
        }

        var value = body.Value;
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            errors["value"] = ["is required"];
        }
        else if (ConfigCatalogue.Problem(known, value) is { } problem)
        {
            errors["value"] = [$"{known.Name} {problem}"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: $"Invalid value for {known.Name}");
        }

        var result = await store.SetAsync(known.Name, value, user.FindFirst(ClaimNames.Subject)?.Value ?? "unknown", expected);
        return result.Outcome switch
        {
            ConfigWriteOutcome.Written or ConfigWriteOutcome.Unchanged => TypedResults.Ok(new ConfigWrittenDto(known.Name, result.Outcome.ToString().ToLowerInvariant(), result.Version)),
            ConfigWriteOutcome.VersionConflict => ApiProblem.Of(StatusCodes.Status409Conflict, "Version conflict", result.Problem!, "expectedVersion"),
            ConfigWriteOutcome.Unavailable => ApiProblem.Of(StatusCodes.Status503ServiceUnavailable, "Configuration store degraded", result.Problem!, "key"),
            ConfigWriteOutcome.Invalid => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["value"] = [result.Problem!] }),
            _ => UnknownKey(key),
        };
    }

    private const string ExpectedVersionRule = "must be a whole number ≥ 0";

    public static ConfigKeyDto Dto(ConfigEntry entry) => new(
        entry.Key.Name, entry.Key.Kind.ToString(), entry.Key.Description, entry.Key.Min, entry.Key.Max, entry.Key.Secret,
        entry.Key.Secret ? JsonSerializer.SerializeToElement(entry.Display) : entry.Value, entry.Version, entry.Source, entry.UpdatedAt, entry.UpdatedBy);

    // A tenant admin gets nothing here, not even reads: every key applies to every tenant (Entities:Overrides holds
    // all tenants' policies, OnlyOffice:* decides where every tenant's documents are saved).
    private static ProblemHttpResult? NotOperator(ClaimsPrincipal user) => Roles.CanOperate(user)
        ? null
        : ApiProblem.Of(StatusCodes.Status403Forbidden, "Operator role required", "The configuration applies to every tenant; only an operator reads or changes it (a tenant admin does not).", "role");

    private static ProblemHttpResult UnknownKey(string key) =>
        ApiProblem.Of(StatusCodes.Status404NotFound, "Unknown configuration key", $"'{key}' is not a configuration key (GET /api/config lists them).", "key");
}

/// <summary>
/// The body of <c>PUT /api/config/{key}</c>. Closed: any other member is refused. <paramref name="Value"/> is any JSON
/// (its kind depends on the key; the catalogue checks it); absent, it is <see cref="JsonValueKind.Undefined"/>.
/// </summary>
public sealed record ConfigWriteRequest(JsonElement Value = default, long? ExpectedVersion = null);
