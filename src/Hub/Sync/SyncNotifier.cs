using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.Sync;

/// <summary>
/// Tells subscribed sync clients that their tenant has new changes (<c>sync.changes-available</c>), so they pull
/// at once instead of polling. It works from what this node can see: the sync channels its own connections
/// subscribed to, and the entity publications every node receives (committed changes, in order). From the
/// moment a connection subscribes to a tenant's sync channel it listens to that tenant's entity channels; at
/// most once per <see cref="SyncOptions.ChangesAvailableIntervalMs"/> it publishes one notice per subscribed
/// client — none to offline clients, and none to a client whose own writes were the only changes.
/// </summary>
public sealed class SyncNotifier(ChannelSubscriptions subscriptions, ChannelPublisher publisher, EntityTypes types, SyncPushes pushes, IOptionsMonitor<SyncOptions> options) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Pending> pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<IDisposable>> listening = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Follow a tenant as soon as one of its sync channels is subscribed: a change committed right after the
        // subscription must not fall into the gap before the next tick.
        subscriptions.Added += OnSubscribed;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(Math.Clamp(options.CurrentValue.ChangesAvailableIntervalMs, 50, 60_000), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                await NotifyAsync();
            }
        }
        finally
        {
            subscriptions.Added -= OnSubscribed;
            lock (listening)
            {
                foreach (var tenant in listening.Keys.ToList())
                {
                    Unfollow(tenant);
                }
            }
        }
    }

    private async Task NotifyAsync()
    {
        var clients = SyncClientsByTenant();
        lock (listening)
        {
            // Re-read under the lock: a subscription added after the read above follows again once this returns.
            var current = SyncClientsByTenant();
            foreach (var gone in listening.Keys.Where(t => !current.ContainsKey(t)).ToList())
            {
                Unfollow(gone);
            }
        }

        foreach (var (tenant, clientIds) in clients)
        {
            if (!pending.TryRemove(tenant, out var changes))
            {
                continue;
            }

            foreach (var clientId in clientIds.Where(c => !changes.OnlyFrom(c)))
            {
                await pushes.ChangesAvailableAsync(SyncPushes.Channel(tenant, clientId), new SyncChangesAvailable(ChangeCursor.Encode(changes.LatestSeq), changes.LatestSeq));
            }
        }
    }

    private Dictionary<string, List<string>> SyncClientsByTenant() => subscriptions.Channels
        .Select(ChannelName.TryParse)
        .Where(c => c is { Kind: ChannelKind.Sync })
        .GroupBy(c => c!.Tenant)
        .ToDictionary(g => g.Key, g => g.Select(c => c!.Key).Distinct().ToList());

    private void OnSubscribed(string channel)
    {
        if (ChannelName.TryParse(channel) is not { Kind: ChannelKind.Sync } name)
        {
            return;
        }

        lock (listening)
        {
            if (!listening.ContainsKey(name.Tenant))
            {
                listening[name.Tenant] = types.Current.For(name.Tenant)
                    .Select(type => publisher.Listen(ChannelName.Entities(name.Tenant, type.Name), p => OnChange(name.Tenant, p)))
                    .ToList();
            }
        }
    }

    private void Unfollow(string tenant)
    {
        listening[tenant].ForEach(l => l.Dispose());
        listening.Remove(tenant);
        pending.TryRemove(tenant, out _);
    }

    private Task OnChange(string tenant, Publication publication)
    {
        var seq = publication.Data.TryGetProperty("seq", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : 0;
        var origin = publication.Data.TryGetProperty("origin", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
        pending.AddOrUpdate(tenant, _ => new Pending(seq, origin), (_, p) => p.With(seq, origin));
        return Task.CompletedTask;
    }

    /// <summary>Changes seen since the last notice: the newest sequence, and their origin while it is a single one.</summary>
    private sealed record Pending(long LatestSeq, string? SingleOrigin, bool Mixed = false)
    {
        public Pending With(long seq, string? origin) =>
            new(Math.Max(LatestSeq, seq), SingleOrigin, Mixed || !string.Equals(SingleOrigin, origin, StringComparison.Ordinal));

        public bool OnlyFrom(string clientId) => !Mixed && string.Equals(SingleOrigin, clientId, StringComparison.Ordinal);
    }
}
