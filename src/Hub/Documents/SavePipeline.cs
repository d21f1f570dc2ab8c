using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using RealtimeSync.Hub.Documents.Internal;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Hub.Documents;

/// <summary>
/// Spooled file → blob store → committed version. Jobs are claimed with a lease in the database (conditional
/// UPDATE of owner and lease_until), so several nodes can run workers without a lock; a node only claims
/// jobs whose spool file it can see. Jobs of one document are stored in order (oldest first). An upload that
/// keeps failing leaves the job pending with its error and a later attempt time: a spooled edit is never dropped.
/// </summary>
public sealed class SavePipeline(
    IServiceScopeFactory scopes,
    IBlobStore blobs,
    SaveSpool spool,
    SaveStatusPublisher status,
    NodeInfo node,
    Tracing tracing,
    TimeProvider clock,
    IOptionsMonitor<DocumentsOptions> options,
    ILogger<SavePipeline> log)
{
    private static readonly ResiliencePropertyKey<SaveJobRow> JobKey = new("rs.save-job");
    private readonly string owner = $"{node.NodeId}/{Guid.NewGuid():N}";
    private readonly SemaphoreSlim wake = new(0);
    private readonly object pipelineGate = new();
    private (DocumentsOptions Options, ResiliencePipeline Pipeline)? built;

    // The trace of the callback that spooled a job, so the worker's save continues it (same node only: a job
    // picked up by another node, or after a restart, starts its own trace). Bounded: cleared when it grows.
    private readonly ConcurrentDictionary<long, ActivityContext> callbackTraces = new();

    /// <summary>Asks the worker for a pass now: a job was just spooled by the callback whose span is <paramref name="trace"/>.</summary>
    public void Signal(long jobId, ActivityContext trace)
    {
        if (trace != default)
        {
            if (callbackTraces.Count > 10_000)
            {
                callbackTraces.Clear();
            }

            callbackTraces[jobId] = trace;
        }

        Signal();
    }

    /// <summary>Asks the worker for a pass now.</summary>
    public void Signal()
    {
        if (wake.CurrentCount == 0)
        {
            wake.Release();
        }
    }

    /// <summary>Waits for a signal or the poll interval.</summary>
    public async Task WaitAsync(CancellationToken ct)
    {
        await wake.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(50, options.CurrentValue.PollMilliseconds)), ct);
    }

    /// <summary>One pass: every due job visible to this node, documents in parallel, each document's jobs in order.</summary>
    public async Task<int> RunDueJobsAsync(CancellationToken ct)
    {
        List<SaveJobRow> pending;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            pending = await db.SaveJobs.AsNoTracking().Where(j => j.State == "pending").OrderBy(j => j.Id).Take(500).ToListAsync(ct);
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var mine = pending.Where(j => spool.Exists(j.SpoolFile)).ToList();
        DocumentMetrics.Pending = mine.Count;
        DocumentMetrics.OldestPendingAgeSeconds = mine.Count == 0 ? 0 : (clock.GetUtcNow() - mine.Min(j => j.CreatedAt)).TotalSeconds;
        var heads = pending.GroupBy(j => (j.TenantId, j.DocumentId)).Select(g => g.First())
            .Where(j => j.NextAttemptMs <= now && j.LeaseUntilMs < now && spool.Exists(j.SpoolFile)).ToList();
        var done = 0;
        await Parallel.ForEachAsync(heads, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (job, token) =>
        {
            // Drain this document's queue while its jobs succeed, so a 6 → 6 → 2 burst does not wait for polls.
            var next = job;
            while (next is not null && await ProcessAsync(next, token))
            {
                Interlocked.Increment(ref done);
                next = await NextOfDocumentAsync(next, token);
            }
        });
        return done;
    }

    /// <summary>
    /// At start-up (after a crash or restart): leases still held by an earlier process of this node id are
    /// released, since node ids are unique among running nodes, so its jobs resume at once instead of after
    /// the lease. Returns how many jobs are unfinished; the next passes resume them.
    /// </summary>
    public async Task<int> ResumeAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var previous = $"{node.NodeId}/";
        await db.SaveJobs.Where(j => j.State == "pending" && j.Owner != null && j.Owner.StartsWith(previous) && j.Owner != owner)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Owner, (string?)null).SetProperty(j => j.LeaseUntilMs, 0L), ct);
        return await db.SaveJobs.CountAsync(j => j.State == "pending", ct);
    }

    private async Task<SaveJobRow?> NextOfDocumentAsync(SaveJobRow job, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var next = await db.SaveJobs.AsNoTracking().Where(j => j.TenantId == job.TenantId && j.DocumentId == job.DocumentId && j.State == "pending")
            .OrderBy(j => j.Id).FirstOrDefaultAsync(ct);
        return next is not null && next.NextAttemptMs <= now && next.LeaseUntilMs < now && spool.Exists(next.SpoolFile) ? next : null;
    }

    /// <summary>Claims, stores and commits one job. True when it was committed (or found already finished).</summary>
    private async Task<bool> ProcessAsync(SaveJobRow job, CancellationToken ct)
    {
        callbackTraces.TryRemove(job.Id, out var callback);
        using var span = tracing.Start("document.save", job.TenantId, ActivityKind.Internal, callback);
        span?.SetTag(ProductTelemetry.DocumentIdTag, job.DocumentId);
        span?.SetTag("rs.save_job.id", job.Id);
        var settings = options.CurrentValue;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var claimed = await db.SaveJobs
            .Where(j => j.Id == job.Id && j.State == "pending" && j.LeaseUntilMs < now && j.NextAttemptMs <= now)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Owner, owner).SetProperty(j => j.LeaseUntilMs, now + (settings.LeaseSeconds * 1000L)).SetProperty(j => j.Attempts, j => j.Attempts + 1), ct);
        if (claimed == 0)
        {
            return false; // another worker has it, or it is finished
        }

        var document = await db.Documents.AsNoTracking().FirstOrDefaultAsync(d => d.TenantId == job.TenantId && d.Id == job.DocumentId, ct);
        if (document is null)
        {
            await FinishFailedAsync(db, job, "the document no longer exists", ct);
            return false;
        }

        var blobKey = $"documents/{job.TenantId}/{job.DocumentId}/job-{job.Id}";
        var attempt = job.Attempts + 1;
        try
        {
            using var upload = tracing.Start("document.upload", job.TenantId);
            var context = ResilienceContextPool.Shared.Get(ct);
            context.Properties.Set(JobKey, job);
            try
            {
                await Pipeline().ExecuteAsync(
                    static async (ctx, state) =>
                    {
                        var (self, job, blobKey, mime) = state;
                        await self.UploadAndVerifyAsync(job, blobKey, mime, ctx.CancellationToken);
                    },
                    context,
                    (this, job, blobKey, document.Mime));
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            DocumentMetrics.UploadRetries.Add(1, new KeyValuePair<string, object?>("reason", e is BrokenCircuitException ? "circuit-open" : "error"));
            DocumentsLog.JobRetrying(log, e, job.Id, job.TenantId, job.DocumentId, attempt);
            var delay = Math.Min(settings.MaxJobRetryDelaySeconds * 1000L, 250L << Math.Min(attempt, 10));
            var later = clock.GetUtcNow();
            await db.SaveJobs.Where(j => j.Id == job.Id && j.Owner == owner).ExecuteUpdateAsync(
                s => s.SetProperty(j => j.LastError, Describe(e)).SetProperty(j => j.Owner, (string?)null).SetProperty(j => j.LeaseUntilMs, 0L)
                    .SetProperty(j => j.NextAttemptMs, later.ToUnixTimeMilliseconds() + delay).SetProperty(j => j.UpdatedAt, later), CancellationToken.None);
            await status.PublishAsync(job.TenantId, job.DocumentId, SaveStates.Retrying, document.CurrentVersion, Describe(e), attempt);
            return false;
        }

        var store = scope.ServiceProvider.GetRequiredService<DocumentStore>();
        int? version;
        using (tracing.Start("document.commit", job.TenantId))
        {
            version = await store.CommitVersionAsync(
                job.TenantId, job.DocumentId, blobKey, job.Size, job.Md5, job.Sha256, $"callback-{job.CbStatus}", "onlyoffice",
                rotateKey: job.CbStatus == 2, endSession: job.CbStatus is 2 or 3, job.Id, ct);
        }

        spool.Delete(job.SpoolFile);
        if (version is null)
        {
            return true;
        }

        var elapsed = (long)(clock.GetUtcNow() - job.CreatedAt).TotalMilliseconds;
        DocumentMetrics.JobsCommitted.Add(1, new KeyValuePair<string, object?>("status", job.CbStatus));
        DocumentMetrics.SaveDuration.Record(elapsed);
        DocumentsLog.JobCommitted(log, job.Id, job.TenantId, job.DocumentId, version.Value, elapsed);
        using (tracing.Start("document.push", job.TenantId))
        {
            await status.PublishAsync(job.TenantId, job.DocumentId, SaveStates.Saved, version);
        }

        return true;
    }

    private async Task UploadAndVerifyAsync(SaveJobRow job, string blobKey, string mime, CancellationToken ct)
    {
        BlobInfo stored;
        await using (var file = new FileStream(spool.PathOf(job.SpoolFile), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous))
        {
            stored = await blobs.PutAsync(blobKey, file, mime, ct);
        }

        // Integrity: the store verified what it received (S3: Content-MD5 and the ETag it answers; local: MD5 of the
        // fsynced bytes) and reports that MD5; it must be the MD5 and size recorded when the file was spooled. No
        // extra read-back round trip here: diagnostics re-read the committed object in full on demand.
        if (stored.Size != job.Size || !string.Equals(stored.Md5, job.Md5, StringComparison.OrdinalIgnoreCase))
        {
            throw new IOException($"'{blobKey}' was stored as {stored.Size} bytes, MD5 {stored.Md5}; the spooled file was {job.Size} bytes, MD5 {job.Md5}.");
        }
    }

    private async Task FinishFailedAsync(RealtimeSyncDb db, SaveJobRow job, string reason, CancellationToken ct)
    {
        DocumentsLog.JobFailed(log, job.Id, job.TenantId, job.DocumentId, reason);
        DocumentMetrics.JobsFailed.Add(1);
        await db.SaveJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(
            s => s.SetProperty(j => j.State, "failed").SetProperty(j => j.LastError, reason).SetProperty(j => j.Owner, (string?)null).SetProperty(j => j.UpdatedAt, clock.GetUtcNow()), ct);
        await status.PublishAsync(job.TenantId, job.DocumentId, SaveStates.Failed, null, reason);
    }

    /// <summary>Retry (exponential backoff + jitter) inside a circuit breaker shared by all jobs; rebuilt when the settings change.</summary>
    private ResiliencePipeline Pipeline()
    {
        var settings = options.CurrentValue;
        lock (pipelineGate)
        {
            if (built is { } current && ReferenceEquals(current.Options, settings))
            {
                return current.Pipeline;
            }

            var pipeline = new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException and not BrokenCircuitException),
                    MaxRetryAttempts = Math.Max(0, settings.UploadRetries - 1),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(Math.Max(1, settings.UploadRetryDelayMilliseconds)),
                    OnRetry = async args =>
                    {
                        DocumentMetrics.UploadRetries.Add(1, new KeyValuePair<string, object?>("reason", "retry"));
                        if (args.Context.Properties.TryGetValue(JobKey, out var job))
                        {
                            await status.PublishAsync(job.TenantId, job.DocumentId, SaveStates.Retrying, null, Describe(args.Outcome.Exception), job.Attempts + 1 + args.AttemptNumber);
                        }
                    },
                })
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
                    FailureRatio = 0.5,
                    MinimumThroughput = 4,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = TimeSpan.FromSeconds(Math.Max(1, settings.BreakSeconds)),
                })
                .Build();
            built = (settings, pipeline);
            return pipeline;
        }
    }

    private static string Describe(Exception? e) => e switch
    {
        null => "unknown error",
        BrokenCircuitException => "storage unavailable (circuit open)",
        _ => e.Message.Length > 300 ? e.Message[..300] : e.Message,
    };
}

/// <summary>Runs <see cref="SavePipeline"/> passes: at start-up (resuming unfinished jobs), on signal, and on a poll.</summary>
public sealed class SaveWorker(SavePipeline pipeline, ILogger<SaveWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var unfinished = await pipeline.ResumeAsync(stoppingToken);
            if (unfinished > 0)
            {
                DocumentsLog.Resuming(log, unfinished);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            DocumentsLog.WorkerPassFailed(log, e);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await pipeline.RunDueJobsAsync(stoppingToken);
                await pipeline.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Database unreachable and the like: the jobs stay pending and are picked up by a later pass.
                DocumentsLog.WorkerPassFailed(log, e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
