using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.SiteKeys;

/// <summary><c>SiteTokens</c> settings.</summary>
public sealed class SiteTokenOptions
{
    public const string Section = "SiteTokens";

    /// <summary>Shortest lifetime a site may ask for: below this a token would expire within the validation clock skew.</summary>
    public const int MinTtlSeconds = 60;

    /// <summary>Lifetime when the request does not ask (capped by <see cref="MaxTtlSeconds"/>).</summary>
    public const int DefaultTtlSeconds = 900;

    /// <summary>Upper bound of <see cref="MaxTtlSeconds"/>: these are short-lived tokens handed to browsers.</summary>
    public const int MaxTtlCeilingSeconds = 86_400;

    /// <summary><c>SiteTokens:MaxTtlSeconds</c>: the longest lifetime a site may ask for.</summary>
    public int MaxTtlSeconds { get; set; } = 3600;

    public int DefaultTtl => Math.Min(DefaultTtlSeconds, MaxTtlSeconds);
}

/// <summary>
/// Mints the subscriber tokens of frontend sites: the key's tenant, subject <c>site:{keyId}</c>, role
/// viewer, and scope <see cref="ChannelAccess.SubscribeScope"/>, which the hub and
/// <see cref="SubscribeScopeGuard"/> enforce. Signed exactly like <see cref="TokenIssuer"/>'s tokens (same key,
/// issuer and audience) so the existing bearer validation accepts them; a class of its own only because
/// TokenIssuer cannot add the scope claim.
/// </summary>
public sealed class SiteTokenIssuer(SigningKeys keys, TimeProvider clock, IOptionsMonitor<SiteTokenOptions> options)
{
    public static string Subject(string keyId) => $"site:{keyId}";

    /// <summary>The channels a token of <paramref name="tenant"/> may subscribe to, as the API reports them.</summary>
    public static string Channels(string tenant) => $"{tenant}/entities/*";

    // Read per request: the config store changes SiteTokens:MaxTtlSeconds at run time.
    public SiteTokenOptions Options => options.CurrentValue;

    public (string Token, DateTimeOffset ExpiresAt) Issue(SiteKeyRow key, int ttlSeconds) => Issue(key.TenantId, Subject(key.Id), ttlSeconds);

    /// <summary>A subscriber token of <paramref name="tenant"/> for a site with no key row (the built-in /demo/ page).</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(string tenant, string subject, int ttlSeconds)
    {
        // Whole seconds, so expiresAt in the answer is exactly the token's exp claim.
        var now = DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().ToUnixTimeSeconds());
        var expires = now.AddSeconds(ttlSeconds);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = keys.Issuer,
            Audience = keys.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(keys.SecurityKey, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                [ClaimNames.Tenant] = tenant,
                [ClaimNames.Subject] = subject,
                [ClaimNames.Role] = new[] { Roles.Viewer },
                [ChannelAccess.ScopeClaim] = ChannelAccess.SubscribeScope,
            },
        };
        return (new JsonWebTokenHandler().CreateToken(descriptor), expires);
    }
}
