using System.Security.Claims;

namespace RealtimeSync.Hub.Infrastructure.Auth;

/// <summary>
/// A copy of a validated principal with plain claims only: same types, values, issuers, authentication
/// type, name and role claim types, and nothing else (no security token, no claim properties).
/// </summary>
internal static class SlimPrincipal
{
    public static ClaimsPrincipal From(ClaimsPrincipal principal)
    {
        var identities = new List<ClaimsIdentity>();
        foreach (var identity in principal.Identities)
        {
            var claims = identity.Claims.Select(c => new Claim(c.Type, c.Value, c.ValueType, c.Issuer, c.OriginalIssuer));
            identities.Add(new ClaimsIdentity(claims, identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType));
        }

        return new ClaimsPrincipal(identities);
    }
}
