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
/// subscribed to, and the entity publications every node receives (committed changes, in order). For each
/// tenant with such a subscriber it listens to the tenant's entity channels; at most once per
/// <see cref="SyncOptions.ChangesAvailableIntervalMs"/> it publishes one notice per subscribed client — none to
/// offline clients, and none to a client whose own writes were the only changes.
/// </summary>
public sealed class SyncNotifier(ChannelSubscriptions subscriptions, ChannelPublisher publisher, EntityTypes types, SyncPushes pushes, IOptionsMonitor<SyncOptions> options) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Pending> pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<IDisposable>> listening = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
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

            var clients = subscriptions.Channels
                .Select(ChannelName.TryParse)
                .Where(c => c is { Kind: ChannelKind.Sync })
                .GroupBy(c => c!.Tenant)
                .ToDictionary(g => g.Key, g => g.Select(c => c!.Key).ToList());
            Follow(clients.Keys);

            foreach (var (tenant, clientIds) in clients)
            {
                if (!pending.TryRemove(tenant, out var changes))
                {
                    continue;
                }

                foreach (var clientId in clientIds)
                {
                    if (changes.OnlyFrom(clientId))
                    {
                        continue;
                    }

                    await pushes.ChangesAvailableAsync(SyncPushes.Channel(tenant, clientId), new SyncChangesAvailable(ChangeCursor.Encode(changes.LatestSeq), changes.LatestSeq));
                }
            }
        }

        Follow([]);
    }

    /// <summary>Listens to the entity channels of exactly these tenants.</summary>
    private void Follow(IEnumerable<string> tenants)
    {
        var wanted = tenants.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in listening.Keys.Where(t => !wanted.Contains(t)).ToList())
        {
            listening[gone].ForEach(l => l.Dispose());
            listening.Remove(gone);
            pending.TryRemove(gone, out _);
        }

        foreach (var tenant in wanted.Where(t => !listening.ContainsKey(t)))
        {
            listening[tenant] = types.Current.For(tenant)
                .Select(type => publisher.Listen(ChannelName.Entities(tenant, type.Name), p => OnChange(tenant, p)))
                .ToList();
        }
    }

    private Task OnChange(string tenant, Publication publication)
    {
        var seq = publication.Data.TryGetProperty("seq", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : 0;
        var origin = publication.Data.TryGetProperty("origin", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
        pending.AddOrUpdate(tenant, _ => new Pending(seq, origin), (_, p) => p.With(seq, origin));
        return Task.CompletedTask;
    }

    /// <summary>Changes seen since the last notice: the newest sequence and who made them (up to a few origins).</summary>
    private sealed record Pending(long LatestSeq, string? SingleOrigin, bool Mixed = false)
    {
        public Pending With(long seq, string? origin) =>
            new(Math.Max(LatestSeq, seq), SingleOrigin, Mixed || !string.Equals(SingleOrigin, origin, StringComparison.Ordinal));

        public bool OnlyFrom(string clientId) => !Mixed && string.Equals(SingleOrigin, clientId, StringComparison.Ordinal);
    }
}
