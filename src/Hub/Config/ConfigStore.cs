using System.Text.Json;
using RealtimeSync.Hub.Config.Internal;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Redis;
using StackExchange.Redis;

namespace RealtimeSync.Hub.Config;

/// <summary>
/// The runtime configuration store: the typed keys of <see cref="ConfigCatalogue"/>, validated before any write,
/// versioned, and served to every feature through IConfiguration (a source layered above appsettings.json and
/// the environment), so IOptionsMonitor / IConfiguration readers see a change at once.
/// <list type="bullet">
/// <item><c>redis-first</c> (default when <c>Redis:Configuration</c> is set): Redis is the source of truth, shared
/// by every node; a write is published and each node reloads within milliseconds (plus a version poll, for the
/// notifications a node misses while it is cut off from Redis). Redis unreachable: the node keeps the
/// last values it read (then the files), reports degraded and refuses writes, so two halves of a cluster
/// never drift apart silently.</item>
/// <item><c>file</c> (embedded default): <c>{Storage:DataPath}/config/*.json</c>.</item>
/// </list>
/// Keys without a stored value are left to appsettings.json / the environment (source <c>default</c>).
/// Precedence (docs: README "Configuration"): a secret is never kept in the store (configuration only); a key set by an
/// environment variable or a command-line argument of this node wins over the store, with a warning naming the key when
/// the store disagrees, so an operator's explicit value is never silently ignored.
/// </summary>
public sealed partial class ConfigStore
{
    public const string RedisFirst = "redis-first";
    public const string FileMode = "file";

    private readonly IConfiguration configuration;
    private readonly ConfigRedis redis;
    private readonly ConfigFiles files;
    private readonly StoreConfigurationSource? source;
    private readonly TimeProvider clock;
    private readonly ILogger log;
    private readonly SemaphoreSlim writes = new(1, 1);
    private readonly SemaphoreSlim refreshes = new(1, 1);
    private readonly HashSet<string> warned = new(StringComparer.Ordinal);
    private State state = new(null, 0, new Dictionary<string, StoredValue>(), false, null, null);

    internal ConfigStore(IConfiguration configuration, RedisConnection redisConnection, DataDirectory data, StoreConfigurationSource? source, TimeProvider clock, ILogger log)
    {
        this.configuration = configuration;
        redis = new ConfigRedis(redisConnection, configuration);
        files = new ConfigFiles(data);
        this.source = source;
        this.clock = clock;
        this.log = log;
        Mode = configuration["Config:Mode"] switch
        {
            RedisFirst when redisConnection.IsConfigured => RedisFirst,
            RedisFirst => throw new InvalidOperationException("Config:Mode is redis-first but Redis:Configuration is empty."),
            FileMode => FileMode,
            null or "" => redisConnection.IsConfigured ? RedisFirst : FileMode,
            var other => throw new InvalidOperationException($"Config:Mode must be redis-first or file, not '{other}'."),
        };
    }

    /// <summary>Raised after the served values or the degraded state changed.</summary>
    public event Action? Changed;

    public string Mode { get; }

    public string FilesFolder => files.Folder;

    public ConfigStatus Status
    {
        get
        {
            var s = state;
            return new ConfigStatus(Mode, s.Degraded, s.Reason, s.Since, s.RedisVersion);
        }
    }

    internal ConfigRedis Redis => redis;

    /// <summary>
    /// Creates the files of keys that have none yet (from appsettings / the environment, else the catalogue's default),
    /// then loads the files and, in redis-first, Redis.
    /// </summary>
    public async Task InitializeAsync()
    {
        await writes.WaitAsync();
        try
        {
            foreach (var secret in ConfigCatalogue.All.Where(k => k.Secret && File.Exists(files.PathOf(k.Name))))
            {
                // Written by an older version: take the secret off the disk rather than leave a copy nobody reads.
                File.Delete(files.PathOf(secret.Name));
                ConfigLog.SecretInStore(log, secret.Name, files.Folder, " and its file deleted", secret.EnvironmentName);
            }

            var existing = files.ReadAll(new Dictionary<string, string>());
            foreach (var key in ConfigCatalogue.Stored.Where(k => !existing.ContainsKey(k.Name) && !File.Exists(files.PathOf(k.Name))))
            {
                if (ConfigJson.FromConfiguration(key, configuration) is { } configured && ConfigCatalogue.Problem(key, configured) is { } problem)
                {
                    ConfigLog.SeedInvalid(log, key.Name, problem);
                }

                files.Write(key.Name, new StoredValue(Fallback(key), 1, clock.GetUtcNow(), "seed"));
            }

            state = state with { FileValues = files.ReadAll() };
        }
        finally
        {
            writes.Release();
        }

        if (Mode == RedisFirst)
        {
            await RefreshAsync(force: true);
        }
        else
        {
            Publish();
        }
    }

    /// <summary>redis-first: reloads from Redis when its version moved (or <paramref name="force"/>); marks the store degraded when Redis does not answer.</summary>
    /// <returns>True when Redis answered.</returns>
    public async Task<bool> RefreshAsync(bool force = false)
    {
        if (Mode != RedisFirst)
        {
            return true;
        }

        await refreshes.WaitAsync();
        try
        {
            var before = state;
            if (!force && !before.Degraded && before.RedisValues is not null && await ConfigMetrics.TimedReadAsync("version", redis.VersionAsync) == before.RedisVersion)
            {
                return true;
            }

            var (version, values) = await ConfigMetrics.TimedReadAsync("values", redis.ReadAsync);
            state = before with { RedisValues = values, RedisVersion = version, Degraded = false, Reason = null, Since = null };
            if (before.Degraded)
            {
                ConfigLog.Recovered(log, version);
            }

            ConfigMetrics.Reloads.Add(1, new KeyValuePair<string, object?>("result", "ok"));
            Publish();
            return true;
        }
        catch (Exception e) when (RedisFailure.IsOutage(e) || e is InvalidOperationException)
        {
            var before = state;
            if (!before.Degraded)
            {
                state = before with { Degraded = true, Reason = $"Redis unreachable ({e.GetType().Name}: {e.Message})", Since = clock.GetUtcNow() };
                ConfigLog.Degraded(log, before.RedisValues is null ? "files" : "last-known values", e);
                Publish();
            }

            ConfigMetrics.Reloads.Add(1, new KeyValuePair<string, object?>("result", "unreachable"));
            return false;
        }
        finally
        {
            refreshes.Release();
        }
    }

    /// <summary>What this node serves for every key of the catalogue.</summary>
    public IReadOnlyList<ConfigEntry> Entries()
    {
        var s = state;
        return ConfigCatalogue.All.Select(k => Effective(k, s)).ToList();
    }

    public ConfigEntry? Entry(string name) => ConfigCatalogue.Find(name) is { } key ? Effective(key, state) : null;

    /// <summary>Validates, then writes to the active store. Refused (Unavailable) while redis-first is degraded.</summary>
    /// <param name="expectedVersion">When given, the write applies only if the key is still at this version.</param>
    public async Task<ConfigWriteResult> SetAsync(string name, JsonElement value, string actor, long? expectedVersion = null)
    {
        if (ConfigCatalogue.Find(name) is not { } key)
        {
            return new(ConfigWriteOutcome.UnknownKey, Problem: $"'{name}' is not a configuration key");
        }

        if (key.Secret)
        {
            ConfigMetrics.Writes.Add(1, new KeyValuePair<string, object?>("result", "invalid"));
            return new(ConfigWriteOutcome.Invalid, Problem:
                $"is a secret and the configuration store does not keep secrets: set {key.EnvironmentName} in the environment (or {key.Name} in appsettings.json) of every node and restart");
        }

        if (ConfigCatalogue.Problem(key, value) is { } problem)
        {
            ConfigMetrics.Writes.Add(1, new KeyValuePair<string, object?>("result", "invalid"));
            return new(ConfigWriteOutcome.Invalid, Problem: problem);
        }

        var result = Mode == RedisFirst ? await SetInRedisAsync(key, value, actor, expectedVersion) : await SetInFileAsync(key, value, actor, expectedVersion);
        ConfigMetrics.Writes.Add(1, new KeyValuePair<string, object?>("result", result.Outcome.ToString().ToLowerInvariant()));
        if (result.Outcome == ConfigWriteOutcome.Written)
        {
            ConfigLog.Written(log, key.Name, result.Version, actor, key.Display(value));
        }

        return result;
    }

    public async Task<IReadOnlyList<ConfigChange>> HistoryAsync(int limit = 100)
    {
        if (Mode == RedisFirst)
        {
            try
            {
                return await redis.HistoryAsync(limit);
            }
            catch (Exception e) when (RedisFailure.IsOutage(e))
            {
                return [];
            }
        }

        return files.History(limit);
    }

    /// <summary>Every key present and valid in the active store (Redis in redis-first, the files in file mode); the problems otherwise.</summary>
    public async Task<IReadOnlyList<(string Key, string Problem)>> VerifyAsync()
    {
        var problems = new List<(string, string)>();
        Dictionary<string, StoredValue> stored;
        string where;
        if (Mode == RedisFirst)
        {
            where = "redis";
            try
            {
                stored = (await redis.ReadAsync()).Values;
            }
            catch (Exception e) when (RedisFailure.IsOutage(e))
            {
                return [("*", $"Redis unreachable: {e.Message}")];
            }
        }
        else
        {
            where = files.Folder;
            var unreadable = new Dictionary<string, string>();
            stored = files.ReadAll(unreadable);
            problems.AddRange(unreadable.Select(u => (u.Key, u.Value)));
        }

        foreach (var key in ConfigCatalogue.Stored)
        {
            if (!stored.TryGetValue(key.Name, out var value))
            {
                if (!problems.Any(p => p.Item1 == key.Name))
                {
                    problems.Add((key.Name, $"missing in {where}"));
                }
            }
            else if (Invalid(key, value) is { } problem)
            {
                problems.Add((key.Name, $"invalid in {where}: {problem}"));
            }
        }

        return problems;
    }

    /// <summary>One key of a files → Redis migration.</summary>
    /// <param name="Origin">file, or default when the key has no file (appsettings / environment / catalogue).</param>
    /// <param name="Action">set, unchanged, or invalid (nothing is written when any key is invalid).</param>
    public sealed record MigrationStep(string Key, string Origin, string Display, string Action, string? Problem);

    /// <summary>Copies every key's file (or default) to Redis; writes nothing when a file is invalid or <paramref name="dryRun"/>.</summary>
    public async Task<IReadOnlyList<MigrationStep>> MigrateFromFilesAsync(bool dryRun, string actor)
    {
        if (Mode != RedisFirst)
        {
            throw new InvalidOperationException("migrate --from-files needs the redis-first mode (set Redis:Configuration).");
        }

        var unreadable = new Dictionary<string, string>();
        var fromFiles = files.ReadAll(unreadable);
        var inRedis = (await redis.ReadAsync()).Values;
        var plan = new List<(ConfigKey Key, JsonElement Value, MigrationStep Step)>();
        foreach (var key in ConfigCatalogue.Stored)
        {
            var (value, origin) = fromFiles.TryGetValue(key.Name, out var file) ? (file.Value, "file") : (Fallback(key), "default");
            var problem = unreadable.GetValueOrDefault(key.Name) ?? Invalid(key, new StoredValue(value, 0, default, ""));
            var action = problem is not null ? "invalid"
                : inRedis.TryGetValue(key.Name, out var current) && Invalid(key, current) is null && ConfigJson.Same(current.Value, value) ? "unchanged"
                : "set";
            plan.Add((key, value, new MigrationStep(key.Name, origin, problem is null ? key.Display(value) : "", action, problem)));
        }

        if (dryRun || plan.Any(p => p.Step.Action == "invalid"))
        {
            return plan.Select(p => p.Step).ToList();
        }

        foreach (var (key, value, step) in plan.Where(p => p.Step.Action == "set"))
        {
            await redis.WriteAsync(key, value, null, actor, clock.GetUtcNow());
        }

        await RefreshAsync(force: true);
        return plan.Select(p => p.Step).ToList();
    }

    private async Task<ConfigWriteResult> SetInRedisAsync(ConfigKey key, JsonElement value, string actor, long? expectedVersion)
    {
        if (state.Degraded)
        {
            return Unavailable();
        }

        try
        {
            var (_, current) = await redis.ReadAsync();
            if (current.TryGetValue(key.Name, out var existing) && ConfigJson.Same(existing.Value, value) && (expectedVersion is null || expectedVersion == existing.Version))
            {
                return new(ConfigWriteOutcome.Unchanged, existing.Version);
            }

            var (written, version, _) = await redis.WriteAsync(key, value, expectedVersion, actor, clock.GetUtcNow());
            if (!written)
            {
                return new(ConfigWriteOutcome.VersionConflict, version, $"'{key.Name}' is at version {version}, not {expectedVersion}");
            }

            await RefreshAsync(force: true);
            return new(ConfigWriteOutcome.Written, version);
        }
        catch (Exception e) when (RedisFailure.IsOutage(e))
        {
            await RefreshAsync(); // marks the store degraded
            return Unavailable();
        }
    }

    private ConfigWriteResult Unavailable() => new(ConfigWriteOutcome.Unavailable, Problem:
        $"The configuration store is degraded ({state.Reason ?? "Redis unreachable"}). Writes are refused until Redis answers again, so that no node applies a change the others cannot see.");

    private async Task<ConfigWriteResult> SetInFileAsync(ConfigKey key, JsonElement value, string actor, long? expectedVersion)
    {
        await writes.WaitAsync();
        try
        {
            var current = state.FileValues.GetValueOrDefault(key.Name);
            var version = current?.Version ?? 0;
            if (expectedVersion is not null && expectedVersion != version)
            {
                return new(ConfigWriteOutcome.VersionConflict, version, $"'{key.Name}' is at version {version}, not {expectedVersion}");
            }

            if (current is not null && ConfigJson.Same(current.Value, value))
            {
                return new(ConfigWriteOutcome.Unchanged, version);
            }

            var stored = new StoredValue(value, version + 1, clock.GetUtcNow(), actor);
            files.Write(key.Name, stored);
            files.AppendHistory(new ConfigChange(key.Name, stored.Version, key.Display(value), actor, stored.UpdatedAt));
            state = state with { FileValues = new Dictionary<string, StoredValue>(state.FileValues) { [key.Name] = stored } };
            Publish();
            return new(ConfigWriteOutcome.Written, stored.Version);
        }
        finally
        {
            writes.Release();
        }
    }

    private ConfigEntry Effective(ConfigKey key, State s)
    {
        if (key.Secret || IsExplicit(key))
        {
            var configured = Fallback(key);
            var explicitly = key.Secret ? ConfigJson.FromConfiguration(key, configuration) is not null : true;
            return new ConfigEntry(key, configured, key.Display(configured), 0, explicitly ? ConfigSources.Configuration : ConfigSources.Default, null, null);
        }

        if (s.RedisValues?.GetValueOrDefault(key.Name) is { } fromRedis && Invalid(key, fromRedis) is null)
        {
            return Entry(key, fromRedis, s.Degraded ? ConfigSources.LastKnown : ConfigSources.Redis);
        }

        if (s.FileValues.GetValueOrDefault(key.Name) is { } fromFile && Invalid(key, fromFile) is null)
        {
            return Entry(key, fromFile, ConfigSources.File);
        }

        var fallback = Fallback(key);
        return new ConfigEntry(key, fallback, key.Display(fallback), 0, ConfigSources.Default, null, null);
    }

    /// <summary>Stored value for <paramref name="key"/> the store would serve if nothing explicit were set.</summary>
    private static StoredValue? InStore(ConfigKey key, State s) =>
        s.RedisValues?.GetValueOrDefault(key.Name) is { } fromRedis && Invalid(key, fromRedis) is null ? fromRedis
        : s.FileValues.GetValueOrDefault(key.Name) is { } fromFile && Invalid(key, fromFile) is null ? fromFile
        : null;

    /// <summary>An environment variable or command-line argument of this node sets the key (appsettings.json does not count: it is the shipped default).</summary>
    private bool IsExplicit(ConfigKey key) =>
        configuration is IConfigurationRoot root && root.Providers.Any(p =>
            p is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationProvider
                or Microsoft.Extensions.Configuration.CommandLine.CommandLineConfigurationProvider
            && (p.TryGet(key.Name, out _) || p.GetChildKeys([], key.Name).Any()));

    private static ConfigEntry Entry(ConfigKey key, StoredValue value, string source) =>
        new(key, value.Value, key.Display(value.Value), value.Version, source, value.UpdatedAt, value.UpdatedBy);

    private static string? Invalid(ConfigKey key, StoredValue value) =>
        value.Value.ValueKind == JsonValueKind.Undefined ? "not a JSON value document" : ConfigCatalogue.Problem(key, value.Value);

    /// <summary>appsettings.json / the environment when valid, else the catalogue's default.</summary>
    private JsonElement Fallback(ConfigKey key) =>
        ConfigJson.FromConfiguration(key, configuration) is { } configured && ConfigCatalogue.Problem(key, configured) is null ? configured : key.Default;

    private bool FirstWarning(ConfigKey key)
    {
        lock (warned)
        {
            return warned.Add(key.Name);
        }
    }

    private void Publish()
    {
        var s = state;
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in ConfigCatalogue.Stored)
        {
            var entry = Effective(key, s);
            if (entry.Source == ConfigSources.Configuration)
            {
                // Left to the environment / command line below this source; said once per key, naming only the key.
                if (InStore(key, s) is { } stored && !ConfigJson.Same(stored.Value, entry.Value) && FirstWarning(key))
                {
                    ConfigLog.ExplicitWins(log, key.Name, key.EnvironmentName);
                }
            }
            else if (entry.Source != ConfigSources.Default)
            {
                ConfigJson.Flatten(key.Name, entry.Value, data);
            }
        }

        foreach (var secret in ConfigCatalogue.All.Where(k => k.Secret && s.RedisValues?.ContainsKey(k.Name) == true && FirstWarning(k)))
        {
            ConfigLog.SecretInStore(log, secret.Name, "redis", "", secret.EnvironmentName);
        }

        source?.Publish(data);
        foreach (var handler in Changed?.GetInvocationList().Cast<Action>() ?? [])
        {
            try
            {
                handler();
            }
            catch (Exception e)
            {
                // A listener (a closing admin circuit) must not break the store.
                ConfigLog.ListenerFailed(log, e);
            }
        }
    }

    private sealed record State(
        Dictionary<string, StoredValue>? RedisValues,
        long RedisVersion,
        Dictionary<string, StoredValue> FileValues,
        bool Degraded,
        string? Reason,
        DateTimeOffset? Since);
}
