using System.Text.Json;

namespace RealtimeSync.Hub.Config;

/// <summary>A key's value as a store keeps it.</summary>
/// <param name="Version">1 for the first write of the key, +1 for each later one.</param>
public sealed record StoredValue(JsonElement Value, long Version, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>Where the value a node serves for a key comes from.</summary>
public static class ConfigSources
{
    /// <summary>Read from Redis (redis-first, Redis answers).</summary>
    public const string Redis = "redis";

    /// <summary>Read from Redis before it became unreachable; kept until it answers again.</summary>
    public const string LastKnown = "last-known";

    /// <summary>From <c>data/config/{key}.json</c>.</summary>
    public const string File = "file";

    /// <summary>
    /// Set by an environment variable or a command-line argument of this node, which wins over the store (a warning names
    /// the key when the store holds another value); always the source of a secret, which the store never keeps.
    /// </summary>
    public const string Configuration = "configuration";

    /// <summary>The store has no value: appsettings.json / environment, else the catalogue's default.</summary>
    public const string Default = "default";
}

/// <summary>What a node serves for one key.</summary>
/// <param name="Display">The value as JSON, or <c>***</c> for a secret.</param>
public sealed record ConfigEntry(ConfigKey Key, JsonElement Value, string Display, long Version, string Source, DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>One accepted write.</summary>
/// <param name="Value">As displayed: secrets are <c>***</c> in the history too.</param>
public sealed record ConfigChange(string Key, long Version, string Value, string UpdatedBy, DateTimeOffset UpdatedAt);

/// <summary>The store's state as /health/ready, the admin banner and the metrics report it.</summary>
/// <param name="Mode">redis-first or file.</param>
/// <param name="Degraded">redis-first with Redis unreachable: last-known / file values are served, writes are refused.</param>
public sealed record ConfigStatus(string Mode, bool Degraded, string? Reason, DateTimeOffset? Since, long Version);

public enum ConfigWriteOutcome
{
    Written,
    Unchanged,
    Invalid,
    UnknownKey,
    VersionConflict,
    Unavailable,
}

/// <param name="Problem">For Invalid / Unavailable: what is wrong, ready for a problem's detail.</param>
public sealed record ConfigWriteResult(ConfigWriteOutcome Outcome, long Version = 0, string? Problem = null);
