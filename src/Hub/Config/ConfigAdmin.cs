using System.Text.Json;
using RealtimeSync.Admin.Services;

namespace RealtimeSync.Hub.Config;

/// <summary>The backoffice's Configuration page and fallback banner over <see cref="ConfigStore"/>.</summary>
public sealed class ConfigAdmin(ConfigStore store) : IConfigAdmin
{
    public ConfigStoreStatus Status
    {
        get
        {
            var status = store.Status;
            return new ConfigStoreStatus(status.Mode, status.Degraded, status.Reason, status.Since);
        }
    }

    public event Action? Changed
    {
        add => store.Changed += value;
        remove => store.Changed -= value;
    }

    public IReadOnlyList<ConfigKeyInfo> Keys() => store.Entries().Select(e => new ConfigKeyInfo(
        e.Key.Name, e.Key.Kind.ToString(), e.Key.Description, e.Key.Min, e.Key.Max, e.Key.Secret,
        e.Key.Secret ? e.Display : Editable(e.Key, e.Value), e.Version, e.Source, e.UpdatedAt, e.UpdatedBy)).ToList();

    public async Task<ConfigSaveResult> SaveAsync(string key, string text, long expectedVersion, string actor)
    {
        if (ConfigCatalogue.Find(key) is not { } known)
        {
            return new(false, 0, $"'{key}' is not a configuration key");
        }

        JsonElement value;
        if (known.Kind is ConfigValueKind.String or ConfigValueKind.Url)
        {
            value = JsonSerializer.SerializeToElement(text);
        }
        else
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                value = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return new(false, 0, known.Kind == ConfigValueKind.Integer ? $"{key} must be a whole number" : $"{key} must be valid JSON");
            }
        }

        // The version shown is that of the value served; it guards the write only when that value comes from the
        // store being written (a file value shown in redis-first mode has nothing to compare with in Redis yet).
        var served = store.Entry(key)!;
        var guard = served.Source == (store.Mode == ConfigStore.RedisFirst ? ConfigSources.Redis : ConfigSources.File) ? expectedVersion : (long?)null;
        var result = await store.SetAsync(key, value, actor, guard);
        return result.Outcome switch
        {
            ConfigWriteOutcome.Written or ConfigWriteOutcome.Unchanged => new(true, result.Version, null),
            ConfigWriteOutcome.Invalid => new(false, 0, $"{key} {result.Problem}"),
            ConfigWriteOutcome.VersionConflict => new(false, result.Version, $"Someone changed {key} meanwhile (now version {result.Version}); reload and try again."),
            _ => new(false, 0, result.Problem),
        };
    }

    public async Task<IReadOnlyList<ConfigChangeInfo>> HistoryAsync(int limit = 50) =>
        (await store.HistoryAsync(limit)).Select(c => new ConfigChangeInfo(c.Key, c.Version, c.Value, c.UpdatedBy, c.UpdatedAt)).ToList();

    public async Task<IReadOnlyList<ConfigProblemInfo>> VerifyAsync() =>
        (await store.VerifyAsync()).Select(p => new ConfigProblemInfo(p.Key, p.Problem)).ToList();

    private static string Editable(ConfigKey key, JsonElement value) =>
        value.ValueKind == JsonValueKind.String && key.Kind is ConfigValueKind.String or ConfigValueKind.Url ? value.GetString()! : value.GetRawText();
}
