using Microsoft.Extensions.Options;

namespace RealtimeSync.Hub.Sync;

/// <summary>Deletes receipts and sync log entries past their retention every <see cref="SyncOptions.PruneIntervalMinutes"/>.</summary>
public sealed partial class SyncJanitor(IServiceScopeFactory scopes, IOptionsMonitor<SyncOptions> options, ILogger<SyncJanitor> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(Math.Max(1, options.CurrentValue.PruneIntervalMinutes)), stoppingToken);
                await using var scope = scopes.CreateAsyncScope();
                var (receipts, entries) = await scope.ServiceProvider.GetRequiredService<SyncService>().PruneAsync(stoppingToken);
                LogPruned(log, receipts, entries);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The next round tries again; old rows only take space meanwhile.
                LogPruneFailed(log, e);
            }
        }
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Debug, Message = "Pruned {Receipts} outbox receipts and {LogEntries} sync log entries")]
    private static partial void LogPruned(ILogger logger, int receipts, int logEntries);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Pruning old outbox receipts and sync log entries failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception e);
}
