using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Telemetry;

namespace RealtimeSync.Hub.Documents;

/// <summary>What the last Document Server probe found (null: no Document Server configured).</summary>
public sealed record DocumentServerStatus(bool Reachable, string? Version, string? Error, DateTimeOffset CheckedAt);

/// <summary>
/// Whether Document Server answers the Command Service <c>version</c> command signed with the JWT secret: checked by
/// <c>/health/ready</c> (as "documentServer", Degraded when it fails, so a node stays in the load balancer: editing is
/// down, everything else works), every <c>OnlyOffice:ProbeIntervalSeconds</c> in the background for the
/// <c>rs_documentserver_up</c> gauge, and shown on the backoffice Documents page.
/// </summary>
public sealed partial class DocumentServerProbe(DocumentServerClient client, IOptionsMonitor<OnlyOfficeOptions> options, TimeProvider clock, ILogger<DocumentServerProbe> log)
    : BackgroundService, IHealthCheck
{
    private static readonly Meter Meter = new(ProductTelemetry.MeterName);
    private static readonly List<WeakReference<DocumentServerProbe>> Probes = [];
    private volatile DocumentServerStatus? last;

    static DocumentServerProbe()
    {
        Meter.CreateObservableGauge("rs.documentserver.up", () =>
        {
            lock (Probes)
            {
                return Probes.Select(w => w.TryGetTarget(out var p) ? p.last : null).OfType<DocumentServerStatus>()
                    .Select(s => new Measurement<int>(s.Reachable ? 1 : 0)).ToList();
            }
        }, description: "1 when Document Server answered the last version command (only with OnlyOffice:DocumentServerUrl set)");
    }

    /// <summary>The last probe's result; null when no Document Server is configured or none was made yet.</summary>
    public DocumentServerStatus? Last => options.CurrentValue.DocumentServer is null ? null : last;

    public async Task<DocumentServerStatus?> CheckAsync(CancellationToken ct)
    {
        if (options.CurrentValue.DocumentServer is null)
        {
            return null;
        }

        DocumentServerStatus status;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            status = new DocumentServerStatus(true, await client.VersionAsync(timeout.Token), null, clock.GetUtcNow());
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or OperationCanceledException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
        {
            status = new DocumentServerStatus(false, null, e is OperationCanceledException ? "no answer within 5 s" : e.Message, clock.GetUtcNow());
        }

        if (last is { Reachable: true } && !status.Reachable)
        {
            LogUnreachable(log, status.Error ?? "");
        }

        last = status;
        return status;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var status = await CheckAsync(ct);
        return status switch
        {
            null => HealthCheckResult.Healthy("not configured"),
            { Reachable: true } => HealthCheckResult.Healthy($"Document Server {status.Version}", new Dictionary<string, object> { ["version"] = status.Version! }),
            _ => HealthCheckResult.Degraded($"Document Server unreachable: {status.Error}"),
        };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lock (Probes)
        {
            Probes.RemoveAll(w => !w.TryGetTarget(out _));
            Probes.Add(new WeakReference<DocumentServerProbe>(this));
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            await CheckAsync(stoppingToken);
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, options.CurrentValue.ProbeIntervalSeconds)), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [LoggerMessage(EventId = 7020, Level = LogLevel.Warning, Message = "Document Server stopped answering the version command: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string reason);
}
