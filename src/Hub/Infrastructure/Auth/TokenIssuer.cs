using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Hub.Infrastructure.Auth;

/// <summary>Mints HS256 API tokens carrying tenant, subject and roles.</summary>
public sealed class TokenIssuer(SigningKeys keys, TimeProvider clock)
{
    public string Issue(string tenant, string subject, IReadOnlyCollection<string> roles, TimeSpan lifetime)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = keys.Issuer,
            Audience = keys.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.Add(lifetime),
            SigningCredentials = new SigningCredentials(keys.SecurityKey, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                [ClaimNames.Tenant] = tenant,
                [ClaimNames.Subject] = subject,
                [ClaimNames.Role] = roles.ToArray(),
            },
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = keys.Issuer,
        ValidAudience = keys.Audience,
        IssuerSigningKey = keys.SecurityKey,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = ClaimNames.Subject,
        RoleClaimType = ClaimNames.Role,
    };
}
