namespace RealtimeSync.Hub.SiteKeys;

/// <summary>
/// The feature's log events. None of them carries a secret or anything a caller presented as one: a key is
/// named by its id and its prefix (the part the backoffice shows), and an unknown key not at all.
/// </summary>
internal static partial class SiteKeysLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Site key {KeyId} \"{KeyName}\" ({KeyPrefix}…) created for tenant {Tenant} by {Actor}")]
    public static partial void Created(ILogger logger, string keyId, string keyName, string keyPrefix, string tenant, string actor);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Site key {KeyId} of tenant {Tenant} revoked by {Actor}")]
    public static partial void Revoked(ILogger logger, string keyId, string tenant, string actor);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Debug, Message = "Site key {KeyId} minted a subscriber token for tenant {Tenant}, valid {TtlSeconds} s")]
    public static partial void Minted(ILogger logger, string keyId, string tenant, int ttlSeconds);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Site token refused: {Verdict} X-Api-Key")]
    public static partial void RefusedKey(ILogger logger, SiteKeyVerdict verdict);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Site token refused: site key {KeyId} of tenant {Tenant} is revoked")]
    public static partial void RefusedRevoked(ILogger logger, string keyId, string tenant);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "Token {Subject} of tenant {Tenant} with scope {Scope} refused {Method} {Path}")]
    public static partial void RefusedByScope(ILogger logger, string? subject, string? tenant, string scope, string method, string path);
}
