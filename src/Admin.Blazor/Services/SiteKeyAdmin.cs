namespace RealtimeSync.Admin.Services;

/// <summary>
/// A tenant's site keys: the API keys that frontend sites' backends trade for short-lived subscriber tokens
/// (<c>POST /api/site-tokens</c>). Implemented by the host; only a hash of each secret is ever stored.
/// </summary>
public interface ISiteKeyAdmin
{
    /// <summary>Every key of the tenant, revoked ones included, newest first.</summary>
    Task<IReadOnlyList<SiteKeyInfo>> ListAsync(string tenant, CancellationToken ct = default);

    /// <summary>
    /// Creates a key named <paramref name="name"/> (see <see cref="SiteKeyName.Problem"/>). The result is the
    /// only place the secret ever exists: show it once and forget it.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not acceptable.</exception>
    Task<NewSiteKey> CreateAsync(string tenant, string name, string actor, CancellationToken ct = default);

    /// <summary>Revokes the key at once; false when the tenant has no such key or it is already revoked.</summary>
    Task<bool> RevokeAsync(string tenant, string id, string actor, CancellationToken ct = default);
}

/// <summary>What the backoffice shows of a key: never the secret, only its first characters.</summary>
/// <param name="Prefix">The key's first characters (<c>rsk_</c> and a few more), to recognise it.</param>
public sealed record SiteKeyInfo(
    string Id,
    string Name,
    string Prefix,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt,
    string? RevokedBy)
{
    public bool Revoked => RevokedAt is not null;
}

/// <summary>A key just created, with its secret (which nothing stores).</summary>
public sealed record NewSiteKey(SiteKeyInfo Key, string Secret)
{
    // A record prints every member; this one must not end up in a log line by accident.
    public override string ToString() => $"NewSiteKey {{ Key = {Key}, Secret = *** }}";
}

/// <summary>The rule for key names, shared by the page (to say what is wrong) and the host (to enforce it).</summary>
public static class SiteKeyName
{
    public const int MaxLength = 100;

    /// <summary>Null when <paramref name="name"/> is acceptable (after trimming), otherwise what is wrong.</summary>
    public static string? Problem(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Enter a name, e.g. the site's domain."
        : name.Trim().Length > MaxLength ? $"At most {MaxLength} characters."
        : null;
}
