namespace RealtimeSync.Hub.Config.Internal;

internal static partial class ConfigLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Config store DEGRADED: Redis unreachable, serving {Fallback}; configuration writes are refused until Redis answers")]
    public static partial void Degraded(ILogger logger, string fallback, Exception e);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Config store recovered: Redis answers again (config version {Version})")]
    public static partial void Recovered(ILogger logger, long version);

    // The value is the key's display form: secrets are "***".
    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Config {Key} set to {Value} (version {Version}) by {Actor}")]
    public static partial void Written(ILogger logger, string key, long version, string actor, string value);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "Config change notifications not subscribed (the version poll still applies changes)")]
    public static partial void SubscribeFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Config {Key} from appsettings/environment {Problem}; its file starts with the catalogue default instead")]
    public static partial void SeedInvalid(ILogger logger, string key, string problem);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "A config change listener failed")]
    public static partial void ListenerFailed(ILogger logger, Exception e);

    // Only the key: the two values may be secrets or personal data.
    [LoggerMessage(EventId = 7008, Level = LogLevel.Warning, Message = "Config {Key} is set by the environment or command line of this node and differs from the value in the config store; the explicit value wins on this node (remove {EnvironmentName} to manage the key in the store)")]
    public static partial void ExplicitWins(ILogger logger, string key, string environmentName);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Warning, Message = "Config {Key} is a secret and the config store held a value for it ({Where}); the stored value is ignored{Action}: set {EnvironmentName} in the environment of every node")]
    public static partial void SecretInStore(ILogger logger, string key, string where, string action, string environmentName);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "Config store mode {Mode}, files in {Folder}")]
    public static partial void Started(ILogger logger, string mode, string folder);
}
