using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.DocumentSync.Internal;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Sync;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.DocumentSync;

/// <summary>
/// Tells subscribed sync clients that their tenant's documents changed (<c>documents.changes-available</c> on
/// <c>{tenant}/sync/{clientId}</c>), so a client mirroring documents runs <c>documents/sync</c> at once instead of
/// polling. Document changes (uploads, client versions, saves, renames, deletes) publish nothing tenant-wide, so this
/// reads the newest document seq of the tenants this node's connections follow, once per
/// <see cref="SyncOptions.ChangesAvailableIntervalMs"/>: one indexed MAX per followed tenant. The first reading of a
/// tenant is its baseline; a change committed before it is what the client's first documents/sync reads anyway.
/// </summary>
public sealed class DocumentChangesNotifier(ChannelSubscriptions subscriptions, SyncPushes pushes, IServiceScopeFactory scopes, IOptionsMonitor<SyncOptions> options, ILogger<DocumentChangesNotifier> log) : BackgroundService
{
    private readonly Dictionary<string, long> seen = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Math.Clamp(options.CurrentValue.ChangesAvailableIntervalMs, 50, 60_000), stoppingToken);
                await NotifyAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A hint only (the database is the state): one failed reading must not end the service.
                DocumentSyncLog.ChangesAvailableFailed(log, e);
            }
        }
    }

    private async Task NotifyAsync(CancellationToken ct)
    {
        var clients = subscriptions.Channels
            .Select(ChannelName.TryParse)
            .Where(c => c is { Kind: ChannelKind.Sync })
            .GroupBy(c => c!.Tenant)
            .ToDictionary(g => g.Key, g => g.Select(c => c!.Key).Distinct().ToList());
        foreach (var gone in seen.Keys.Where(t => !clients.ContainsKey(t)).ToList())
        {
            seen.Remove(gone);
        }

        if (clients.Count == 0)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        foreach (var (tenant, clientIds) in clients)
        {
            var latest = await db.Documents.AsNoTracking().Where(d => d.TenantId == tenant).MaxAsync(d => (long?)d.Seq, ct) ?? 0;
            if (!seen.TryGetValue(tenant, out var before))
            {
                seen[tenant] = latest;
                continue;
            }

            if (latest <= before)
            {
                continue;
            }

            seen[tenant] = latest;
            foreach (var clientId in clientIds)
            {
                await pushes.DocumentsChangesAvailableAsync(tenant, clientId, new DocumentsChangesAvailable(latest));
            }
        }
    }
}
