namespace RealtimeSync.Shared.Auth;

/// <summary>Claim names carried by API tokens and the admin cookie.</summary>
public static class ClaimNames
{
    /// <summary>The tenant the principal acts for.</summary>
    public const string Tenant = "tenant";

    /// <summary>Subject (user or client id).</summary>
    public const string Subject = "sub";

    /// <summary>Role; may appear several times.</summary>
    public const string Role = "role";
}
