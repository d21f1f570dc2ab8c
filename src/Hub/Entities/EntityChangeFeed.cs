using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.Entities;

/// <summary>
/// Turns committed change-log rows into <c>entity.changed</c>/<c>entity.deleted</c> publications, in
/// sequence order per tenant. A writer hands over the rows it has just committed. When they follow what the
/// feed last published, they are pushed from memory at once; otherwise (another node's change, another writer of
/// this node whose hand-off has not come yet, a sequence number taken by a document write) the feed reads the log
/// from what it published up to them — sequence numbers commit in order, so everything below is there. Two
/// writers whose post-commit code runs in the opposite order still push in commit order, and a push is never
/// made for a rolled-back write (only committed rows are handed over).
/// </summary>
public sealed partial class EntityChangeFeed(IServiceScopeFactory scopes, IServiceProvider services, Tracing tracing, ILogger<EntityChangeFeed> log) : IHostedService
{
    private readonly ConcurrentDictionary<string, TenantFeed> tenants = new(StringComparer.Ordinal);
    private volatile bool started;
    private string changeLog = "unknown"; // this database's installation id

    /// <summary>Where every tenant's log ends at start-up: only later changes are pushed by this node.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var counters = await db.TenantCounters.AsNoTracking().ToListAsync(ct);
        changeLog = (await db.Database.SqlQueryRaw<string>("SELECT id AS \"Value\" FROM installation").ToListAsync(ct)).FirstOrDefault() ?? "unknown";
        foreach (var counter in counters)
        {
            tenants[counter.TenantId] = new TenantFeed(counter.LastSeq);
        }

        started = true;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Called by the store after a commit with the change-log rows it committed (consecutive sequence numbers).
    /// Publishing runs on the caller's thread until it first waits (no thread-pool hop before the push).
    /// </summary>
    public void Committed(string tenant, IReadOnlyList<ChangeRow> committed)
    {
        if (!started || committed.Count == 0)
        {
            return; // start-up migrations/seed: nobody is subscribed yet
        }

        _ = PumpAsync(tenant, committed);
    }

    /// <summary>Completes once everything up to <paramref name="seq"/> was published (tests and benchmarks).</summary>
    public async Task WaitPublishedAsync(string tenant, long seq, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (tenants.GetValueOrDefault(tenant)?.Published < seq)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Change {seq} of {tenant} was not published within {timeout}.");
            }

            await Task.Delay(5);
        }
    }

    private async Task PumpAsync(string tenant, IReadOnlyList<ChangeRow> committed)
    {
        var upTo = committed[^1].Seq;
        var feed = tenants.GetOrAdd(tenant, _ => new TenantFeed(0));
        // A child of the commit that signalled it (the execution context flows into this fire-and-forget task).
        using var span = tracing.Start("changefeed.publish", tenant);
        span?.SetTag("rs.seq", upTo);
        await feed.Gate.WaitAsync();
        try
        {
            var publisher = services.GetRequiredService<ChannelPublisher>();
            if (feed.Published == committed[0].Seq - 1)
            {
                span?.SetTag("rs.changefeed.source", "memory");
                foreach (var row in committed)
                {
                    await PublishAsync(publisher, tenant, EntityStore.ToDto(row));
                    feed.Published = row.Seq;
                }
            }

            while (feed.Published < upTo)
            {
                span?.SetTag("rs.changefeed.source", "log");
                await using var scope = scopes.CreateAsyncScope();
                var store = scope.ServiceProvider.GetRequiredService<EntityStore>();
                var (changes, _) = await store.ChangesAsync(tenant, feed.Published, 200, type: null);
                if (changes.Count == 0)
                {
                    break;
                }

                foreach (var change in changes)
                {
                    await PublishAsync(publisher, tenant, change);
                    feed.Published = change.Seq;
                }
            }
        }
        catch (Exception e)
        {
            // The change is committed and readable through /changes; subscribers recover it on the next push.
            LogPumpFailed(log, e, tenant, upTo);
        }
        finally
        {
            feed.Gate.Release();
        }
    }

    private Task PublishAsync(ChannelPublisher publisher, string tenant, ChangeDto change)
    {
        var data = new EntityChangedEvent(change.EntityId, change.EntityType, change.Operation, change.Version, change.Changed, change.Conflicts, change.Actor, change.Origin, change.Seq);
        var type = change.Operation == "delete" ? PublicationTypes.EntityDeleted : PublicationTypes.EntityChanged;
        return publisher.PublishAsync(ChannelName.Entities(tenant, change.EntityType), type, data, new ChangeSource(changeLog, change.Seq));
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "Publishing changes of tenant {Tenant} up to {Seq} failed")]
    private static partial void LogPumpFailed(ILogger logger, Exception e, string tenant, long seq);

    private sealed class TenantFeed(long published)
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public long Published { get; set; } = published;
    }
}
