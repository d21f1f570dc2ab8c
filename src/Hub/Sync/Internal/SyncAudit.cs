using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.Sync.Internal;

/// <summary>
/// One sync request's audit entry: filled in while the request runs and written to <c>sync_log</c> when it
/// ends, whatever the outcome (refusals and failures included), from a scope of its own so a failed write
/// of the request cannot take the audit row with it.
/// </summary>
internal sealed class SyncAudit(string direction, string tenant, string clientId)
{
    private readonly long started = Stopwatch.GetTimestamp();

    public string Direction => direction;

    public string ClientId { get; set; } = clientId;

    public string Status { get; set; } = "failed";

    public int Events { get; set; }

    public int Acknowledged { get; set; }

    public int Conflicts { get; set; }

    public int Rejected { get; set; }

    public int Changes { get; set; }

    public string? Error { get; set; }

    public async Task WriteAsync(IServiceScopeFactory scopes, TimeProvider clock, ILogger log)
    {
        var duration = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        SyncMetrics.Request(direction, Status, duration);
        SyncLog.Request(log, direction, ClientId, tenant, Status, duration, Acknowledged, Conflicts, Rejected, Changes);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            using var turn = db.Database.IsSqlite()
                ? await scope.ServiceProvider.GetRequiredService<SqliteWriteGate>().EnterAsync(db.Database.GetConnectionString()!, CancellationToken.None)
                : null;
            db.SyncLog.Add(new SyncLogRow
            {
                TenantId = tenant,
                ClientId = ClientId.Length > 100 ? ClientId[..100] : ClientId,
                Direction = direction,
                Status = Status,
                Events = Events,
                Acknowledged = Acknowledged,
                Conflicts = Conflicts,
                Rejected = Rejected,
                Changes = Changes,
                DurationMs = duration,
                Error = Error is { Length: > 1000 } ? Error[..1000] : Error,
                At = clock.GetUtcNow(),
            });
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            SyncLog.AuditFailed(log, e, ClientId, tenant);
        }
    }
}
