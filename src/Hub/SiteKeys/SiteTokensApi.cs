using Microsoft.AspNetCore.Http.HttpResults;
using RealtimeSync.Hub.Infrastructure.Http;

namespace RealtimeSync.Hub.SiteKeys;

/// <param name="Token">A bearer token for the hub (<c>accessTokenFactory</c>) and the entities API's GETs.</param>
/// <param name="Channels">The channels it may subscribe to: <c>{tenant}/entities/*</c>.</param>
public sealed record SiteTokenResponse(string Token, string Tenant, DateTimeOffset ExpiresAt, string Channels);

/// <summary>
/// <c>POST /api/site-tokens</c>: server to server. A site's backend presents its site key in
/// <c>X-Api-Key</c> and gets a short-lived subscriber token for its tenant's public (entities) channels,
/// which it hands to its pages. Not behind the bearer policy: the key is the credential. The optional body
/// <c>{"ttlSeconds": n}</c> is read by hand, not declared with Accepts: Accepts makes routing answer a wrong
/// content type with a bare 415, and every client error here is a problem that names the field.
/// </summary>
public static class SiteTokensApi
{
    public const string ApiKeyHeader = "X-Api-Key";

    public static IEndpointRouteBuilder MapSiteTokens(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/site-tokens", MintAsync)
            .AllowAnonymous()
            .WithName("MintSiteToken")
            .WithTags("Site tokens");
        return app;
    }

    public static async Task<Results<Ok<SiteTokenResponse>, ProblemHttpResult>> MintAsync(
        HttpContext http, SiteKeyStore keys, SiteTokenIssuer issuer, ILoggerFactory logs, CancellationToken ct)
    {
        var log = logs.CreateLogger(typeof(SiteTokensApi));
        var presented = http.Request.Headers[ApiKeyHeader];
        var (verdict, key) = presented.Count > 1 ? (SiteKeyVerdict.Unknown, null) : await keys.VerifyAsync(presented.ToString(), ct);
        if (verdict != SiteKeyVerdict.Valid)
        {
            if (key is not null)
            {
                SiteKeysLog.RefusedRevoked(log, key.Id, key.TenantId);
            }
            else
            {
                SiteKeysLog.RefusedKey(log, verdict);
            }

            http.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{ApiKeyHeader}\"";
            return ApiProblem.Of(
                StatusCodes.Status401Unauthorized,
                "Invalid site key",
                verdict switch
                {
                    SiteKeyVerdict.Missing => $"Send the site key in the {ApiKeyHeader} header.",
                    SiteKeyVerdict.Revoked => "This site key was revoked; create a new one in the backoffice (Site keys).",
                    _ => $"The {ApiKeyHeader} header is not a site key.",
                },
                ApiKeyHeader);
        }

        var options = issuer.Options;
        var (ttl, problem) = await ReadTtlAsync(http.Request, options, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (token, expiresAt) = issuer.Issue(key!, ttl);
        await keys.MarkUsedAsync(key!, ct);
        SiteKeysLog.Minted(log, key!.Id, key.TenantId, ttl);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new SiteTokenResponse(token, key.TenantId, expiresAt, SiteTokenIssuer.Channels(key.TenantId)));
    }

    /// <summary>
    /// The body is optional (curl -X POST sends none). When there is one it is <see cref="SiteTokenRequest"/>, whose
    /// only member is <c>ttlSeconds</c>, a whole number in range (null: the default); anything else is a problem naming the field.
    /// </summary>
    private static async Task<(int Ttl, ProblemHttpResult? Problem)> ReadTtlAsync(HttpRequest request, SiteTokenOptions options, CancellationToken ct)
    {
        var range = $"must be a whole number of seconds from {SiteTokenOptions.MinTtlSeconds} to {options.MaxTtlSeconds}";
        var (body, bodyError) = await RequestBody.ReadAsync<SiteTokenRequest>(request, ct, "a JSON object such as {\"ttlSeconds\": 900}",
            new BodyContract { Optional = true, Rules = new Dictionary<string, string> { ["ttlSeconds"] = range } });
        if (bodyError is not null)
        {
            return (0, bodyError);
        }

        if (body?.TtlSeconds is not { } seconds)
        {
            return (options.DefaultTtl, null);
        }

        return seconds >= SiteTokenOptions.MinTtlSeconds && seconds <= options.MaxTtlSeconds
            ? (seconds, null)
            : (0, ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid body", $"ttlSeconds {range}.", "ttlSeconds",
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["ttlSeconds"] = [range] } }));
    }
}

/// <summary>The optional body of <c>POST /api/site-tokens</c>: <c>{ "ttlSeconds"?: n }</c>. Closed: any other member is refused.</summary>
public sealed record SiteTokenRequest(int? TtlSeconds = null);
