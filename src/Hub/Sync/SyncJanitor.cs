using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Locking;

namespace RealtimeSync.Hub.Sync;

/// <summary>
/// Deletes receipts and sync log entries past their retention every <see cref="SyncOptions.PruneIntervalMinutes"/>,
/// on one node of the cluster at a time (a singleton job).
/// </summary>
public sealed partial class SyncJanitor(IServiceScopeFactory scopes, IOptionsMonitor<SyncOptions> options, ILogger<SyncJanitor> log) : ISingletonJob
{
    public string Name => "sync-prune";

    public TimeSpan Interval => TimeSpan.FromMinutes(Math.Max(1, options.CurrentValue.PruneIntervalMinutes));

    public async Task RunOnceAsync(SingletonJobContext context, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var (receipts, entries) = await scope.ServiceProvider.GetRequiredService<SyncService>().PruneAsync(ct);
        LogPruned(log, receipts, entries);
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Debug, Message = "Pruned {Receipts} outbox receipts and {LogEntries} sync log entries")]
    private static partial void LogPruned(ILogger logger, int receipts, int logEntries);
}
