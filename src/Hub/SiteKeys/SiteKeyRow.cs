namespace RealtimeSync.Hub.SiteKeys;

/// <summary>A row of <c>site_keys</c> (migration 0003). The secret is not here: only its SHA-256.</summary>
public sealed class SiteKeyRow
{
    public required string Id { get; init; }

    public required string TenantId { get; init; }

    public required string Name { get; init; }

    /// <summary>The key's first <see cref="SiteKeySecret.PrefixLength"/> characters, shown in the backoffice.</summary>
    public required string KeyPrefix { get; init; }

    /// <summary>Lower-case hex SHA-256 of the whole key (<see cref="SiteKeySecret.Hash"/>).</summary>
    public required string KeyHash { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public required string CreatedBy { get; init; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }
}
