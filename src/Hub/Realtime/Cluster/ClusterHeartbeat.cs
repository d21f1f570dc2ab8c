namespace RealtimeSync.Hub.Realtime.Cluster;

/// <summary>Every <see cref="ClusterRegistry.Interval"/>: report this node and renew its presence entries.</summary>
public sealed partial class ClusterHeartbeat(ClusterRegistry registry, PresenceTracker presence, ILogger<ClusterHeartbeat> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ClusterRegistry.Interval);
        do
        {
            try
            {
                await registry.ReportAsync();
                await presence.HeartbeatAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A beat that fails (Redis away) is simply retried on the next tick.
                LogBeatFailed(log, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 3041, Level = LogLevel.Warning, Message = "Cluster heartbeat failed")]
    private static partial void LogBeatFailed(ILogger logger, Exception e);
}
