namespace RealtimeSync.Hub.Config.Internal;

/// <summary>
/// The store as an IConfiguration source, added after appsettings.json and the environment so its keys win.
/// It holds the data itself: the configuration manager may rebuild its providers (the test host adds sources
/// after Program.cs), and a rebuilt provider must start from the store's current values, not empty.
/// </summary>
internal sealed class StoreConfigurationSource : IConfigurationSource
{
    private readonly object gate = new();
    private IReadOnlyDictionary<string, string?> data = new Dictionary<string, string?>();
    private readonly List<Provider> providers = [];

    public IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        var provider = new Provider(this);
        lock (gate)
        {
            providers.Add(provider);
        }

        return provider;
    }

    /// <summary>Replaces every value the store serves and signals a reload (IOptionsMonitor, change tokens).</summary>
    public void Publish(IReadOnlyDictionary<string, string?> values)
    {
        Provider[] current;
        lock (gate)
        {
            data = values;
            current = [.. providers];
        }

        foreach (var provider in current)
        {
            provider.Apply(values);
        }
    }

    private sealed class Provider(StoreConfigurationSource source) : ConfigurationProvider
    {
        public override void Load() => Data = Copy(source.data);

        public void Apply(IReadOnlyDictionary<string, string?> values)
        {
            Data = Copy(values);
            OnReload();
        }

        private static Dictionary<string, string?> Copy(IReadOnlyDictionary<string, string?> values) =>
            new(values, StringComparer.OrdinalIgnoreCase);
    }
}
