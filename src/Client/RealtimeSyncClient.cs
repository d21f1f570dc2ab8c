using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using RealtimeSync.Client.Internal;

namespace RealtimeSync.Client;

/// <summary>
/// The offline-first client: local writes go to the SQLite store and its outbox in one transaction and work
/// without the server; <see cref="SyncAsync"/> (or the background loop of <see cref="Start"/>) pushes the outbox
/// through <c>sync/up</c> and pulls <c>sync/down</c> pages, keeping the client's unsent edits above the
/// server's state. Conflicts are surfaced by <see cref="ConflictDetected"/> and <see cref="ConflictsAsync"/>
/// and settled with <see cref="ResolveAsync"/>.
/// </summary>
public sealed partial class RealtimeSyncClient : IAsyncDisposable
{
    private static readonly string Pending = LocalStore.Name(OutboxStatus.Pending);
    private static readonly string Sent = LocalStore.Name(OutboxStatus.Sent);
    private static readonly string InConflict = LocalStore.Name(OutboxStatus.Conflict);

    private readonly SyncClientOptions options;
    private readonly LocalStore store;
    private readonly SyncHttp http;
    private readonly ILogger logger;
    private readonly ResiliencePipeline retry;
    private readonly SemaphoreSlim syncing = new(1, 1);
    private readonly Channel<bool> triggers = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource stopping = new();
    private SyncStatus status = new(SyncState.Idle, 0, 0, null, null);
    private Task loop = Task.CompletedTask;
    private LiveConnection? live;
    private IAsyncDisposable? changesSubscription;

    private RealtimeSyncClient(SyncClientOptions options, LocalStore store, ILogger logger)
    {
        this.options = options;
        this.store = store;
        this.logger = logger;
        Tenant = options.Tenant ?? TokenClaims.Read(options.Token, "tenant")
            ?? throw new ArgumentException("The token names no tenant: set SyncClientOptions.Tenant.", nameof(options));
        ClientId = options.ClientId ?? TokenClaims.Read(options.Token, "client_id") ?? TokenClaims.Read(options.Token, "sub")
            ?? throw new ArgumentException("The token names no client (client_id or sub): set SyncClientOptions.ClientId.", nameof(options));
        var client = options.HttpHandler is null ? new HttpClient() : new HttpClient(options.HttpHandler, disposeHandler: false);
        client.BaseAddress = options.Server;
        client.Timeout = TimeSpan.FromSeconds(100);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        http = new SyncHttp(client);
        retry = options.MaxRetries < 1 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            // A socket error can escape the handler unwrapped when a connection is cut while it is set up: offline too.
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<System.Net.Sockets.SocketException>().Handle<SyncServerException>(e => e.IsTransient),
            MaxRetryAttempts = options.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryBaseDelay,
            MaxDelay = options.MaxRetryDelay,
            // The server's Retry-After is the earliest a retry can succeed: it wins over the computed backoff.
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is SyncServerException { RetryAfter: { } wait } ? (TimeSpan?)wait : null),
            OnRetry = args =>
            {
                ClientLog.Retrying(logger, args.Outcome.Exception?.Message ?? "failure", args.AttemptNumber + 1, args.RetryDelay);
                if (args.Outcome.Exception is { } e && SyncHttp.IsOffline(e))
                {
                    SetState(SyncState.Offline, e.Message);
                }

                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    /// <summary>Raised when the server answers an event with a conflict.</summary>
    public event Action<SyncConflictInfo>? ConflictDetected;

    /// <summary>
    /// Raised (while <see cref="Start"/> runs) on the server's <c>documents.changes-available</c> push: the tenant's
    /// documents changed, run <see cref="MirrorDocumentsAsync"/>.
    /// </summary>
    public event Action? DocumentsChanged;

    /// <summary>Raised whenever <see cref="Status"/> changes.</summary>
    public event Action<SyncStatus>? StatusChanged;

    /// <summary>The tenant this client syncs.</summary>
    public string Tenant { get; }

    /// <summary>This client's id (the server keeps its receipts and conflicts under it).</summary>
    public string ClientId { get; }

    /// <summary>The current sync state, for an app's sync indicator.</summary>
    public SyncStatus Status => status;

    /// <summary>Opens (or creates) the local store; nothing is sent until a sync.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="logger">Where the SDK logs; none when null.</param>
    /// <param name="ct">Cancels the opening.</param>
    /// <returns>The client.</returns>
    public static async Task<RealtimeSyncClient> OpenAsync(SyncClientOptions options, ILogger? logger = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = await LocalStore.OpenAsync(options.DatabasePath, ct);
        var client = new RealtimeSyncClient(options, store, logger ?? NullLogger.Instance);
        await client.RefreshCountsAsync(ct);
        return client;
    }

    /// <summary>Creates an entity locally and records its CREATE event (one transaction; works offline).</summary>
    /// <param name="type">Entity type.</param>
    /// <param name="id">Entity id.</param>
    /// <param name="fields">Its fields.</param>
    /// <param name="ct">Cancels the write.</param>
    /// <returns>The outbox event's id.</returns>
    public Task<string> CreateAsync(string type, string id, JsonObject fields, CancellationToken ct = default) =>
        WriteAsync(type, id, EntityOperation.Create, fields, ct);

    /// <summary>Changes fields of an entity locally and records its UPDATE event (one transaction; works offline).</summary>
    /// <param name="type">Entity type.</param>
    /// <param name="id">Entity id.</param>
    /// <param name="fields">The changed fields only.</param>
    /// <param name="ct">Cancels the write.</param>
    /// <returns>The outbox event's id.</returns>
    public Task<string> UpdateAsync(string type, string id, JsonObject fields, CancellationToken ct = default) =>
        WriteAsync(type, id, EntityOperation.Update, fields, ct);

    /// <summary>Deletes an entity locally and records its DELETE event (one transaction; works offline).</summary>
    /// <param name="type">Entity type.</param>
    /// <param name="id">Entity id.</param>
    /// <param name="ct">Cancels the write.</param>
    /// <returns>The outbox event's id.</returns>
    public Task<string> DeleteAsync(string type, string id, CancellationToken ct = default) =>
        WriteAsync(type, id, EntityOperation.Delete, [], ct);

    /// <summary>The entity as the app sees it (null when it does not exist or is deleted locally).</summary>
    /// <param name="type">Entity type.</param>
    /// <param name="id">Entity id.</param>
    /// <param name="ct">Cancels the read.</param>
    /// <returns>The entity or null.</returns>
    public async Task<LocalEntity?> GetAsync(string type, string id, CancellationToken ct = default) =>
        (await QueryEntitiesAsync("AND e.type = $y AND e.id = $i", ct, ("$y", type), ("$i", id))).FirstOrDefault();

    /// <summary>Every live entity of a type, by id.</summary>
    /// <param name="type">Entity type.</param>
    /// <param name="ct">Cancels the read.</param>
    /// <returns>The entities.</returns>
    public Task<List<LocalEntity>> ListAsync(string type, CancellationToken ct = default) => QueryEntitiesAsync("AND e.type = $y", ct, ("$y", type));

    /// <summary>The outbox, oldest first; acknowledged events are included only when asked.</summary>
    /// <param name="includeAcknowledged">Whether to list acknowledged events too.</param>
    /// <param name="ct">Cancels the read.</param>
    /// <returns>The events.</returns>
    public Task<List<OutboxEvent>> OutboxAsync(bool includeAcknowledged = false, CancellationToken ct = default) =>
        store.InTransactionAsync(tx => tx.QueryAsync(
            $"SELECT id, tenant, entity_type, entity_id, operation, payload, base_version, created_at, attempts, last_attempt_at, status, error FROM outbox_events WHERE tenant = $t {(includeAcknowledged ? "" : $"AND status <> '{LocalStore.Name(OutboxStatus.Acknowledged)}'")} ORDER BY seq",
            r => new OutboxEvent(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Enum.Parse<EntityOperation>(r.GetString(4), ignoreCase: true),
                JsonNode.Parse(r.GetString(5))!.AsObject(), r.GetInt64(6), DateTimeOffset.Parse(r.GetString(7), System.Globalization.CultureInfo.InvariantCulture),
                r.GetInt32(8), r.IsDBNull(9) ? null : DateTimeOffset.Parse(r.GetString(9), System.Globalization.CultureInfo.InvariantCulture),
                Enum.Parse<OutboxStatus>(r.GetString(10), ignoreCase: true), r.IsDBNull(11) ? null : r.GetString(11)),
            ("$t", Tenant)), ct);

    /// <summary>The open conflicts, oldest first, with local and server data side by side.</summary>
    /// <param name="ct">Cancels the read.</param>
    /// <returns>The conflicts.</returns>
    public Task<List<SyncConflictInfo>> ConflictsAsync(CancellationToken ct = default) =>
        store.InTransactionAsync(tx => tx.QueryAsync(
            $"SELECT id, entity_type, entity_id, operation, conflict_reason, payload, server_data, conflicting_fields FROM outbox_events WHERE tenant = $t AND status = '{InConflict}' ORDER BY seq",
            r => new SyncConflictInfo(r.GetString(0), r.GetString(1), r.GetString(2), Enum.Parse<EntityOperation>(r.GetString(3), ignoreCase: true),
                r.IsDBNull(4) ? "conflict" : r.GetString(4), JsonNode.Parse(r.GetString(5))!.AsObject(),
                r.IsDBNull(6) ? null : JsonNode.Parse(r.GetString(6))!.AsObject(),
                r.IsDBNull(7) ? [] : JsonSerializer.Deserialize<string[]>(r.GetString(7)) ?? []),
            ("$t", Tenant)), ct);

    /// <summary>Pushes the outbox, then pulls every change: one sync. Retries with backoff (honouring <c>Retry-After</c>).</summary>
    /// <param name="ct">Cancels the sync.</param>
    /// <returns>What the push and the pull did.</returns>
    public async Task<(PushResult Push, PullResult Pull)> SyncAsync(CancellationToken ct = default)
    {
        return await RunAsync(async () =>
        {
            var push = await PushCoreAsync(ct);
            var pull = await PullCoreAsync(ct);
            await store.InTransactionAsync(tx => tx.ExecuteAsync(
                "INSERT INTO sync_state (tenant, client_id, last_sync_at) VALUES ($t, $c, $at) ON CONFLICT (tenant, client_id) DO UPDATE SET last_sync_at = excluded.last_sync_at",
                ("$t", Tenant), ("$c", ClientId), ("$at", LocalStore.Tx.Time(DateTimeOffset.UtcNow))), ct);
            return (push, pull);
        }, complete: true, ct);
    }

    /// <summary>Sends every pending event through <c>sync/up</c>, in order, in batches.</summary>
    /// <param name="ct">Cancels the push.</param>
    /// <returns>What the server did with them.</returns>
    public Task<PushResult> PushAsync(CancellationToken ct = default) => RunAsync(() => PushCoreAsync(ct), complete: false, ct);

    /// <summary>Reads <c>sync/down</c> pages from the stored cursor and applies them locally.</summary>
    /// <param name="ct">Cancels the pull.</param>
    /// <returns>How much changed.</returns>
    public Task<PullResult> PullAsync(CancellationToken ct = default) => RunAsync(() => PullCoreAsync(ct), complete: false, ct);

    /// <summary>Settles a conflict through the server; the local store then holds the server's result.</summary>
    /// <param name="eventId">The conflicting event.</param>
    /// <param name="choice">Accept-server, keep-local or merge.</param>
    /// <param name="mergedFields">For merge: the field values to apply.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes when the local store follows the resolution.</returns>
    public async Task ResolveAsync(string eventId, ConflictChoice choice, JsonObject? mergedFields = null, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["resolution"] = choice switch { ConflictChoice.AcceptServer => "accept-server", ConflictChoice.KeepLocal => "keep-local", _ => "merge" },
        };
        if (mergedFields is not null)
        {
            body["fields"] = mergedFields.DeepClone();
        }

        var answer = await retry.ExecuteAsync(async token => await http.PostAsync($"api/sync/conflicts/{Uri.EscapeDataString(eventId)}/resolve", body, token), ct);
        var type = (string)answer["entityType"]!;
        var id = (string)answer["entityId"]!;
        await store.InTransactionAsync(async tx =>
        {
            await tx.SetStatusAsync(eventId, OutboxStatus.Acknowledged, $"resolved: {body["resolution"]}");
            if (answer["entity"] is JsonObject entity)
            {
                var version = (long)entity["version"]!;
                await tx.SetServerStateAsync(Tenant, type, id, version, (bool?)entity["deleted"] == true ? null : entity["fields"]!.DeepClone().AsObject());
                await tx.RebaseAsync(Tenant, type, id, version);
            }
            else
            {
                await tx.SetServerStateAsync(Tenant, type, id, 0, null);
            }

            await tx.RecomputeAsync(Tenant, type, id);
            return true;
        }, ct);
        await RefreshCountsAsync(ct);
    }

    /// <summary>
    /// Starts the background loop: a sync after every local write, on the server's <c>sync.changes-available</c>
    /// push and every <see cref="SyncClientOptions.SyncInterval"/>. Failures show in <see cref="Status"/>.
    /// </summary>
    public void Start()
    {
        if (!loop.IsCompleted)
        {
            return;
        }

        loop = Task.Run(() => LoopAsync(stopping.Token));
    }

    /// <summary>Asks the background loop for a sync soon (coalesced with any already asked for).</summary>
    public void RequestSync() => triggers.Writer.TryWrite(true);

    /// <summary>Stops the loop and closes the store.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        if (changesSubscription is not null)
        {
            await changesSubscription.DisposeAsync();
        }

        if (live is not null)
        {
            await live.DisposeAsync();
        }

        http.Dispose();
        await store.DisposeAsync();
        stopping.Dispose();
        syncing.Dispose();
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        if (options.ListenForChanges)
        {
            try
            {
                changesSubscription = await SubscribeAsync($"{Tenant}/sync/{ClientId}", publication =>
                {
                    if (publication.Type == "sync.changes-available")
                    {
                        RequestSync();
                    }
                    else if (publication.Type == "documents.changes-available")
                    {
                        DocumentsChanged?.Invoke();
                    }

                    return Task.CompletedTask;
                }, ct: ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ClientLog.ListenFailed(logger, e);
            }
        }

        while (!ct.IsCancellationRequested)
        {
            using (var timer = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timer.CancelAfter(options.SyncInterval);
                try
                {
                    await triggers.Reader.ReadAsync(timer.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // the interval passed: a timed sync
                }
            }

            try
            {
                await SyncAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Shown in Status; the next trigger or tick tries again.
            }
        }
    }

    private async Task<T> RunAsync<T>(Func<Task<T>> work, bool complete, CancellationToken ct)
    {
        await syncing.WaitAsync(ct);
        try
        {
            SetState(SyncState.Syncing, null);
            var result = await work();
            await RefreshCountsAsync(ct);
            status = status with { State = SyncState.Idle, LastError = null, LastSuccessfulSync = complete ? DateTimeOffset.UtcNow : status.LastSuccessfulSync };
            StatusChanged?.Invoke(status);
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            ClientLog.SyncFailed(logger, ClientId, e.Message);
            await RefreshCountsAsync(CancellationToken.None);
            SetState(SyncHttp.IsOffline(e) ? SyncState.Offline : SyncState.Error, e.Message);
            throw;
        }
        finally
        {
            syncing.Release();
        }
    }

    private async Task<string> WriteAsync(string type, string id, EntityOperation operation, JsonObject fields, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(id);
        // Readable (the client id first) while it fits the server's 100 characters for an event id.
        var eventId = ClientId.Length <= 60 ? $"{ClientId}:{Guid.NewGuid():N}" : Guid.NewGuid().ToString("N");
        await store.InTransactionAsync(async tx =>
        {
            var current = await tx.EntityAsync(Tenant, type, id);
            if (operation == EntityOperation.Create && current is { Deleted: false, Fields: not null })
            {
                throw new InvalidOperationException($"{type} '{id}' already exists locally.");
            }

            if (operation != EntityOperation.Create && (current is null || current.Deleted))
            {
                throw new KeyNotFoundException($"There is no {type} '{id}' locally (pull first?).");
            }

            await tx.ExecuteAsync("""
                INSERT INTO outbox_events (id, tenant, entity_type, entity_id, operation, payload, base_version, created_at, status)
                VALUES ($id, $t, $y, $i, $op, $p, $b, $at, $s)
                """, ("$id", eventId), ("$t", Tenant), ("$y", type), ("$i", id), ("$op", LocalStore.Name(operation)), ("$p", fields.ToJsonString()),
                ("$b", current?.ServerVersion ?? 0), ("$at", LocalStore.Tx.Time(DateTimeOffset.UtcNow)), ("$s", Pending));
            await tx.RecomputeAsync(Tenant, type, id);
            return true;
        }, ct);
        await RefreshCountsAsync(ct);
        RequestSync();
        return eventId;
    }

    private async Task<PushResult> PushCoreAsync(CancellationToken ct)
    {
        int acknowledged = 0, conflicts = 0, rejected = 0;
        while (true)
        {
            var batch = await NextBatchAsync(ct);
            if (batch.Count == 0)
            {
                break;
            }

            // Marked SENT (with the attempt) before the request: a crash after it leaves the event to send again,
            // which the server answers from its receipt without applying it twice.
            var now = LocalStore.Tx.Time(DateTimeOffset.UtcNow);
            await store.InTransactionAsync(async tx =>
            {
                foreach (var e in batch)
                {
                    await tx.ExecuteAsync("UPDATE outbox_events SET status = $s, attempts = attempts + 1, last_attempt_at = $at WHERE id = $id", ("$s", Sent), ("$at", now), ("$id", e.Id));
                }

                return true;
            }, ct);

            var body = new JsonObject
            {
                ["clientId"] = ClientId,
                ["events"] = new JsonArray(batch.Select(e =>
                {
                    var json = new JsonObject
                    {
                        ["id"] = e.Id,
                        ["tenantId"] = Tenant,
                        ["entityType"] = e.EntityType,
                        ["entityId"] = e.EntityId,
                        ["operation"] = LocalStore.Name(e.Operation),
                        ["payload"] = e.Payload.DeepClone(),
                        ["createdAt"] = e.CreatedAt,
                    };
                    if (e.Operation != EntityOperation.Create || e.BaseVersion > 0)
                    {
                        json["baseVersion"] = e.BaseVersion;
                    }

                    return (JsonNode)json;
                }).ToArray()),
            };
            JsonObject answer;
            try
            {
                answer = await retry.ExecuteAsync(async token => await http.PostAsync("api/sync/up", body, token), ct);
            }
            catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException or SyncServerException)
            {
                await store.InTransactionAsync(async tx =>
                {
                    foreach (var sent in batch)
                    {
                        await tx.ExecuteAsync("UPDATE outbox_events SET error = $e WHERE id = $id", ("$e", e.Message), ("$id", sent.Id));
                    }

                    return true;
                }, CancellationToken.None);
                throw;
            }

            var byId = batch.ToDictionary(e => e.Id);
            var found = new List<SyncConflictInfo>();
            await store.InTransactionAsync(async tx =>
            {
                foreach (var a in answer["acknowledged"]?.AsArray() ?? [])
                {
                    var e = byId[(string)a!["eventId"]!];
                    var version = (long)a["serverVersion"]!;
                    await tx.SetStatusAsync(e.Id, OutboxStatus.Acknowledged, null);
                    var row = await tx.EntityAsync(Tenant, e.EntityType, e.EntityId);
                    JsonObject? server = null;
                    if (e.Operation != EntityOperation.Delete && (string?)a["status"] != "deleted")
                    {
                        // Until the next pull brings the server's exact state, it is what the client had plus this change.
                        server = e.Operation == EntityOperation.Create ? [] : row?.ServerFields?.DeepClone().AsObject() ?? [];
                        foreach (var (key, value) in e.Payload)
                        {
                            server[key] = value?.DeepClone();
                        }
                    }

                    await tx.SetServerStateAsync(Tenant, e.EntityType, e.EntityId, version, server);
                    await tx.RebaseAsync(Tenant, e.EntityType, e.EntityId, version);
                    await tx.RecomputeAsync(Tenant, e.EntityType, e.EntityId);
                    acknowledged++;
                }

                foreach (var c in answer["conflicts"]?.AsArray() ?? [])
                {
                    var e = byId[(string)c!["eventId"]!];
                    var reason = (string?)c["reason"] ?? "conflict";
                    var serverData = c["serverData"] as JsonObject;
                    var serverFields = serverData is null || (bool?)serverData["deleted"] == true ? null : serverData["fields"]?.DeepClone().AsObject();
                    var fieldNames = (c["conflictingFields"]?.AsArray() ?? []).Select(f => (string)f!["field"]!).ToArray();
                    await tx.ExecuteAsync(
                        "UPDATE outbox_events SET status = $s, error = $r, conflict_reason = $r, server_data = $d, conflicting_fields = $f WHERE id = $id",
                        ("$s", InConflict), ("$r", reason), ("$d", serverFields?.ToJsonString()), ("$f", JsonSerializer.Serialize(fieldNames)), ("$id", e.Id));
                    if (serverData is not null)
                    {
                        await tx.SetServerStateAsync(Tenant, e.EntityType, e.EntityId, (long)serverData["version"]!, serverFields);
                    }

                    await tx.RecomputeAsync(Tenant, e.EntityType, e.EntityId);
                    found.Add(new SyncConflictInfo(e.Id, e.EntityType, e.EntityId, e.Operation, reason, e.Payload, serverFields, fieldNames));
                    ClientLog.Conflict(logger, e.Id, e.EntityType, e.EntityId, reason);
                    conflicts++;
                }

                foreach (var r in answer["rejected"]?.AsArray() ?? [])
                {
                    if ((string?)r!["eventId"] is not { } id || !byId.TryGetValue(id, out var e))
                    {
                        continue;
                    }

                    var reason = $"{(string?)r["reason"]}: {r["errors"]?.ToJsonString()}";
                    await tx.SetStatusAsync(e.Id, OutboxStatus.Failed, reason);
                    await tx.RecomputeAsync(Tenant, e.EntityType, e.EntityId);
                    ClientLog.Rejected(logger, e.Id, reason);
                    rejected++;
                }

                return true;
            }, ct);

            foreach (var conflict in found)
            {
                ConflictDetected?.Invoke(conflict);
            }
        }

        ClientLog.Pushed(logger, acknowledged, conflicts, rejected, ClientId);
        return new PushResult(acknowledged, conflicts, rejected);
    }

    /// <summary>
    /// The next events to send, in order: at most one per entity (a later one starts from the version the earlier
    /// one produces, known only from its answer), none of an entity whose earlier change waits for a resolution.
    /// </summary>
    private Task<List<OutboxEvent>> NextBatchAsync(CancellationToken ct) =>
        store.InTransactionAsync(async tx =>
        {
            var blocked = (await tx.QueryAsync($"SELECT DISTINCT entity_type, entity_id FROM outbox_events WHERE tenant = $t AND status = '{InConflict}'",
                r => (r.GetString(0), r.GetString(1)), ("$t", Tenant))).ToHashSet();
            var candidates = await tx.QueryAsync(
                $"SELECT id, entity_type, entity_id, operation, payload, base_version, created_at FROM outbox_events WHERE tenant = $t AND status IN ('{Pending}', '{Sent}') ORDER BY seq LIMIT $n",
                r => new OutboxEvent(r.GetString(0), Tenant, r.GetString(1), r.GetString(2), Enum.Parse<EntityOperation>(r.GetString(3), ignoreCase: true),
                    JsonNode.Parse(r.GetString(4))!.AsObject(), r.GetInt64(5), DateTimeOffset.Parse(r.GetString(6), System.Globalization.CultureInfo.InvariantCulture), 0, null, OutboxStatus.Pending, null),
                ("$t", Tenant), ("$n", Math.Max(1, options.PushBatchSize) + blocked.Count * 4));
            var batch = new List<OutboxEvent>();
            var inBatch = new HashSet<(string, string)>();
            foreach (var e in candidates)
            {
                var key = (e.EntityType, e.EntityId);
                if (blocked.Contains(key))
                {
                    continue;
                }

                if (!inBatch.Add(key) || batch.Count >= options.PushBatchSize)
                {
                    break;
                }

                batch.Add(e);
            }

            return batch;
        }, ct);

    private async Task<PullResult> PullCoreAsync(CancellationToken ct)
    {
        int changes = 0, pages = 0;
        while (true)
        {
            var cursor = await store.InTransactionAsync(async tx => (string?)await tx.ScalarAsync("SELECT cursor FROM sync_state WHERE tenant = $t AND client_id = $c", ("$t", Tenant), ("$c", ClientId)), ct);
            var body = new JsonObject { ["clientId"] = ClientId, ["cursor"] = cursor, ["limit"] = options.PullPageSize };
            var page = await retry.ExecuteAsync(async token => await http.PostAsync("api/sync/down", body, token), ct);
            pages++;
            await store.InTransactionAsync(async tx =>
            {
                // Most pulled entities have no unsent change: one upsert each instead of read, write, recompute.
                var overlaid = await tx.OverlaidEntitiesAsync(Tenant);
                foreach (var change in page["changes"]?.AsArray() ?? [])
                {
                    var type = (string)change!["entityType"]!;
                    var id = (string)change["entityId"]!;
                    var version = (long)change["serverVersion"]!;
                    if (!overlaid.Contains((type, id)))
                    {
                        var pulled = (string?)change["operation"] == "DELETE" ? null : change["payload"]?.AsObject().ToJsonString();
                        if (await tx.SetPulledStateAsync(Tenant, type, id, version, pulled))
                        {
                            changes++;
                        }

                        continue;
                    }

                    var known = await tx.EntityAsync(Tenant, type, id);
                    if (known is not null && known.ServerVersion > version)
                    {
                        continue; // an acknowledgement already brought a newer version
                    }

                    var fields = (string?)change["operation"] == "DELETE" ? null : change["payload"]?.DeepClone().AsObject();
                    await tx.SetServerStateAsync(Tenant, type, id, version, fields);
                    await tx.RecomputeAsync(Tenant, type, id); // the client's unsent edits go back on top
                    changes++;
                }

                await tx.ExecuteAsync(
                    "INSERT INTO sync_state (tenant, client_id, cursor) VALUES ($t, $c, $cursor) ON CONFLICT (tenant, client_id) DO UPDATE SET cursor = excluded.cursor",
                    ("$t", Tenant), ("$c", ClientId), ("$cursor", (string?)page["cursor"]));
                return true;
            }, ct);

            if (page["hasMore"] is not JsonValue more || !more.GetValue<bool>())
            {
                break;
            }
        }

        ClientLog.Pulled(logger, changes, pages, ClientId);
        return new PullResult(changes, pages);
    }

    private Task<List<LocalEntity>> QueryEntitiesAsync(string where, CancellationToken ct, params (string, object?)[] args) =>
        store.InTransactionAsync(tx => tx.QueryAsync(
            $"""
             SELECT e.type, e.id, e.fields, e.server_version,
                    EXISTS (SELECT 1 FROM outbox_events o WHERE o.tenant = e.tenant AND o.entity_type = e.type AND o.entity_id = e.id AND o.status IN ('{Pending}', '{Sent}', '{InConflict}'))
             FROM entities e WHERE e.tenant = $t AND e.deleted = 0 AND e.fields IS NOT NULL {where} ORDER BY e.type, e.id
             """,
            r => new LocalEntity(r.GetString(0), r.GetString(1), JsonNode.Parse(r.GetString(2))!.AsObject(), r.GetInt64(3), r.GetInt64(4) != 0),
            [("$t", Tenant), .. args]), ct);

    private async Task RefreshCountsAsync(CancellationToken ct)
    {
        var (pending, conflicts, last) = await store.InTransactionAsync(async tx =>
        {
            var p = Convert.ToInt32(await tx.ScalarAsync($"SELECT COUNT(*) FROM outbox_events WHERE tenant = $t AND status IN ('{Pending}', '{Sent}')", ("$t", Tenant)), System.Globalization.CultureInfo.InvariantCulture);
            var c = Convert.ToInt32(await tx.ScalarAsync($"SELECT COUNT(*) FROM outbox_events WHERE tenant = $t AND status = '{InConflict}'", ("$t", Tenant)), System.Globalization.CultureInfo.InvariantCulture);
            var at = (string?)await tx.ScalarAsync("SELECT last_sync_at FROM sync_state WHERE tenant = $t AND client_id = $c", ("$t", Tenant), ("$c", ClientId));
            return (p, c, at is null ? (DateTimeOffset?)null : DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture));
        }, ct);
        status = status with { Pending = pending, Conflicts = conflicts, LastSuccessfulSync = status.LastSuccessfulSync ?? last };
    }

    private void SetState(SyncState state, string? error)
    {
        status = status with { State = state, LastError = error };
        StatusChanged?.Invoke(status);
    }
}
