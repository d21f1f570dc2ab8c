using System.Text.Json;
using RealtimeSync.Hub.Infrastructure.Hosting;

namespace RealtimeSync.Hub.Config.Internal;

/// <summary>
/// <c>{Storage:DataPath}/config/{Key with '.' for ':'}.json</c>, one file per key
/// (<c>{"value": ..., "version": n, "updatedAt": ..., "updatedBy": ...}</c>), and <c>history.jsonl</c>.
/// The store of embedded mode and the fallback of redis-first. A file is replaced atomically (write, rename).
/// </summary>
internal sealed class ConfigFiles(DataDirectory data)
{
    private readonly string folder = data.Combine("config");

    public string Folder => folder;

    public string PathOf(string key) => Path.Combine(folder, key.Replace(':', '.') + ".json");

    /// <summary>Every readable key file of the catalogue; unreadable ones are reported in <paramref name="problems"/>.</summary>
    public Dictionary<string, StoredValue> ReadAll(IDictionary<string, string>? problems = null)
    {
        var values = new Dictionary<string, StoredValue>(StringComparer.Ordinal);
        foreach (var key in ConfigCatalogue.Stored)
        {
            var path = PathOf(key.Name);
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                values[key.Name] = JsonSerializer.Deserialize<StoredValue>(File.ReadAllText(path), JsonSerializerOptions.Web)
                    ?? throw new JsonException("empty");
            }
            catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
            {
                problems?.TryAdd(key.Name, $"{path} is not readable: {e.Message}");
            }
        }

        return values;
    }

    public void Write(string key, StoredValue value)
    {
        DataDirectory.CreatePrivateFolder(folder);
        var path = PathOf(key);
        var temp = path + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(value, Indented));
        DataDirectory.MakePrivate(temp); // before it appears under its name
        File.Move(temp, path, overwrite: true);
    }

    public void AppendHistory(ConfigChange change)
    {
        DataDirectory.CreatePrivateFolder(folder);
        var history = Path.Combine(folder, "history.jsonl");
        File.AppendAllText(history, JsonSerializer.Serialize(change, JsonSerializerOptions.Web) + "\n");
        DataDirectory.MakePrivate(history);
    }

    public IReadOnlyList<ConfigChange> History(int limit)
    {
        var path = Path.Combine(folder, "history.jsonl");
        if (!File.Exists(path))
        {
            return [];
        }

        return File.ReadLines(path).Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<ConfigChange>(l, JsonSerializerOptions.Web)!)
            .Reverse().Take(limit).ToList();
    }

    private static readonly JsonSerializerOptions Indented = new(JsonSerializerOptions.Web) { WriteIndented = true };
}
