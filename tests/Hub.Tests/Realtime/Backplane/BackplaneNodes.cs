using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Realtime.Backplane;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Realtime.Backplane;

/// <summary>
/// The hosts a lifetime-manager suite runs on, shared by the tests of one class (every test uses its own
/// groups, users and markers): node A, which sends, and node B, where "other node" clients connect.
/// </summary>
public abstract class BackplaneNodes : IAsyncLifetime
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(10);

    private readonly List<HubApp> apps = [];

    public HubApp A { get; private set; } = null!;

    public HubApp B { get; private set; } = null!;

    /// <summary>False: B is A (one node, in-process fan-out).</summary>
    protected abstract bool TwoNodes { get; }

    protected abstract Dictionary<string, string?> Settings();

    public async Task InitializeAsync()
    {
        A = Start();
        B = TwoNodes ? Start() : A;
        foreach (var app in apps)
        {
            await WaitUntilReadyAsync(app);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>The Redis backplane counts as ready once a probe went through Redis and came back.</summary>
    public static async Task WaitUntilReadyAsync(HubApp app)
    {
        _ = app.Services.GetRequiredService<HubLifetimeManager<SyncHub>>(); // created on first use
        var status = app.Services.GetRequiredService<BackplaneStatus>();
        if (!status.Enabled)
        {
            return;
        }

        using var cts = new CancellationTokenSource(ReadyTimeout);
        while (status.State != BackplaneState.Connected)
        {
            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The backplane did not connect within {ReadyTimeout.TotalSeconds} s: {status.State} ({status.Reason}).");
            }
        }
    }

    private HubApp Start()
    {
        var app = new HubApp(Settings(), realServer: true);
        apps.Add(app);
        return app;
    }
}

/// <summary>One node, no Redis: SignalR's own in-process manager.</summary>
public sealed class InProcessNodes : BackplaneNodes
{
    protected override bool TwoNodes => false;

    protected override Dictionary<string, string?> Settings() => [];
}

/// <summary>Two nodes on the test Redis, with a channel prefix of their own so other test classes never hear them.</summary>
public sealed class RedisNodes : BackplaneNodes
{
    public const int AckTimeoutMs = 2000;

    private readonly string prefix = $"rs-test-{Guid.NewGuid():N}";

    protected override bool TwoNodes => true;

    protected override Dictionary<string, string?> Settings() => RedisSettings(TestServers.Redis, prefix);

    /// <summary>Node settings for a Redis backplane; the signing key is shared, as it must be across nodes.</summary>
    public static Dictionary<string, string?> RedisSettings(string redis, string prefix) => new()
    {
        ["Redis:Configuration"] = redis,
        ["Redis:ChannelPrefix"] = prefix,
        ["Redis:Backplane:AckTimeoutMs"] = AckTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Auth:Jwt:SigningKey"] = "backplane-tests-shared-signing-key-0123456789",
    };
}
