namespace RealtimeSync.Admin.Services;

/// <summary>
/// The runtime configuration store as the backoffice sees it: every key with the value this node serves and
/// where it comes from, edits (validated by the host), the change history and a verification. Implemented by the host.
/// </summary>
public interface IConfigAdmin
{
    /// <summary>Mode and fallback state, for the banner every page shows while the store is degraded.</summary>
    ConfigStoreStatus Status { get; }

    /// <summary>Raised (on any thread) when values or the degraded state change.</summary>
    event Action? Changed;

    IReadOnlyList<ConfigKeyInfo> Keys();

    /// <summary>
    /// Writes <paramref name="text"/> (for string keys the text itself, otherwise JSON) if the key is still at
    /// <paramref name="expectedVersion"/>; the result says why not otherwise (invalid, changed meanwhile, degraded).
    /// </summary>
    Task<ConfigSaveResult> SaveAsync(string key, string text, long expectedVersion, string actor);

    Task<IReadOnlyList<ConfigChangeInfo>> HistoryAsync(int limit = 50);

    /// <summary>Every key present and valid in the active store: an empty list.</summary>
    Task<IReadOnlyList<ConfigProblemInfo>> VerifyAsync();
}

/// <param name="Mode">redis-first or file.</param>
public sealed record ConfigStoreStatus(string Mode, bool Degraded, string? Reason, DateTimeOffset? Since);

/// <param name="Kind">Integer, String, Url or Object.</param>
/// <param name="Value">The value as it is edited: a string key's text, otherwise JSON; <c>***</c> for a secret.</param>
/// <param name="Source">redis, last-known, file or default.</param>
public sealed record ConfigKeyInfo(
    string Key, string Kind, string Description, long? Min, long? Max, bool Secret,
    string Value, long Version, string Source, DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <param name="Error">Null when saved; otherwise what to tell the user.</param>
public sealed record ConfigSaveResult(bool Saved, long Version, string? Error);

public sealed record ConfigChangeInfo(string Key, long Version, string Value, string UpdatedBy, DateTimeOffset UpdatedAt);

public sealed record ConfigProblemInfo(string Key, string Problem);
