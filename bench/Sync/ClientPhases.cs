using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using RealtimeSync.Client;
using RealtimeSync.Testing;

namespace RealtimeSync.SyncBench;

/// <summary>
/// The client SDK (src/Client) against the same in-process host: an initial pull of a tenant's whole log into an
/// empty SQLite store, and a push of an outbox filled offline; each beside a bare HTTP client doing the same
/// requests without a local store (the server-side figure of the same run).
/// </summary>
internal static class ClientPhases
{
    /// <summary>A tenant with <paramref name="entities"/> entities and one CREATE change each (seq 1..n).</summary>
    public static async Task SeedPullTenantAsync(string connectionString, string tenant, int entities)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var sql = $"""
            INSERT INTO tenants (id, name, created_at) VALUES ('{tenant}', '{tenant}', now());
            INSERT INTO entities (tenant_id, entity_type, id, version, fields, field_versions, deleted, created_at, created_by, updated_at, updated_by)
                SELECT '{tenant}', 'team', 'e' || g, 1, jsonb_build_object('name', 'Bench ' || g, 'role', 'Dev', 'joinDate', '2021-03-01', 'employeeId', 'E-' || g),
                    '{"{"}"name":1,"role":1,"joinDate":1,"employeeId":1{"}"}', false, now(), 'bench', now(), 'bench'
                FROM generate_series(1, {entities}) g;
            INSERT INTO changes (tenant_id, seq, entity_type, entity_id, operation, version, changed, conflicts, actor, origin, occurred_at)
                SELECT '{tenant}', g, 'team', 'e' || g, 'create', 1, '{"{"}"role":"Dev"{"}"}', NULL, 'bench', 'bench', now()
                FROM generate_series(1, {entities}) g;
            INSERT INTO tenant_counters (tenant_id, last_seq) VALUES ('{tenant}', {entities});
            ANALYZE changes;
            ANALYZE entities;
            """;
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Bare sync/down: the pages from the start of the log until hasMore is false, parsed, nothing stored.</summary>
    public static async Task<Throughput> BarePullAsync(HttpClient http, string clientId, int pageSize, int expected)
    {
        var total = Stopwatch.StartNew();
        string? cursor = null;
        int entities = 0, pages = 0;
        while (true)
        {
            var body = new JsonObject { ["clientId"] = clientId, ["cursor"] = cursor, ["limit"] = pageSize };
            using var response = await http.PostAsync("/api/sync/down", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            entities += page["changes"]!.AsArray().Count;
            pages++;
            cursor = (string?)page["cursor"];
            if (page["hasMore"] is not JsonValue more || !more.GetValue<bool>())
            {
                break;
            }
        }

        var seconds = total.Elapsed.TotalSeconds;
        Check(entities == expected, $"bare pull got {entities} changes, not {expected}");
        return new Throughput(entities, seconds, pages, $"{entities:N0} changes received");
    }

    /// <summary>The SDK's PullAsync into an empty store; the count is read back from the store (ListAsync).</summary>
    public static async Task<Throughput> SdkPullAsync(HubApp app, string token, string databasePath, int expected)
    {
        await using var client = await OpenAsync(app, token, databasePath);
        var total = Stopwatch.StartNew();
        var pulled = await client.PullAsync();
        var seconds = total.Elapsed.TotalSeconds;
        var held = (await client.ListAsync("team")).Count;
        Check(held == expected, $"the client store holds {held} entities after the pull, not {expected} (PullAsync said {pulled.Changes})");
        return new Throughput(held, seconds, pulled.Pages, $"store holds {held:N0} entities, SQLite file {new FileInfo(databasePath).Length / 1048576.0:F1} MB");
    }

    /// <summary>Bare sync/up: the same number of CREATE events, in batches of the SDK's size, one request at a time.</summary>
    public static async Task<Throughput> BarePushAsync(HttpClient http, string connectionString, string tenant, string clientId, int events, int batchSize)
    {
        var total = Stopwatch.StartNew();
        var acknowledged = 0;
        var batches = 0;
        for (var start = 0; start < events; start += batchSize)
        {
            var now = DateTimeOffset.UtcNow;
            var batch = new JsonArray(Enumerable.Range(start, Math.Min(batchSize, events - start)).Select(i => (JsonNode)new JsonObject
            {
                ["id"] = $"{clientId}:{Guid.NewGuid():N}",
                ["tenantId"] = tenant,
                ["entityType"] = "team",
                ["entityId"] = $"bare-{i}",
                ["operation"] = "CREATE",
                ["payload"] = Member(i),
                ["createdAt"] = now,
            }).ToArray());
            var body = new JsonObject { ["clientId"] = clientId, ["events"] = batch };
            using var response = await http.PostAsync("/api/sync/up", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
            acknowledged += JsonNode.Parse(await response.Content.ReadAsStringAsync())!["acknowledged"]!.AsArray().Count;
            batches++;
        }

        var seconds = total.Elapsed.TotalSeconds;
        var onServer = await CountAsync(connectionString, tenant, "bare-%");
        Check(acknowledged == events && onServer == events, $"bare push: {acknowledged} acknowledged, {onServer} on the server, of {events}");
        return new Throughput(events, seconds, batches, $"{acknowledged:N0} acknowledged, {onServer:N0} on the server");
    }

    /// <summary>An SDK client writes <paramref name="events"/> CREATEs while offline (it syncs only when asked): the outbox fills.</summary>
    public static async Task<Throughput> WriteOfflineAsync(RealtimeSyncClient client, int events)
    {
        var total = Stopwatch.StartNew();
        for (var i = 0; i < events; i++)
        {
            await client.CreateAsync("team", $"sdk-{i}", Member(i));
        }

        var seconds = total.Elapsed.TotalSeconds;
        Check(client.Status.Pending == events, $"the outbox holds {client.Status.Pending} pending events, not {events}");
        return new Throughput(events, seconds, 0, $"outbox holds {client.Status.Pending:N0} pending events");
    }

    /// <summary>PushAsync of that outbox until it is empty; checked by the client's pending count and the server's rows.</summary>
    public static async Task<Throughput> SdkPushAsync(RealtimeSyncClient client, string connectionString, string tenant, int events)
    {
        var total = Stopwatch.StartNew();
        var pushed = await client.PushAsync();
        var seconds = total.Elapsed.TotalSeconds;
        var pending = client.Status.Pending;
        var onServer = await CountAsync(connectionString, tenant, "sdk-%");
        Check(pending == 0 && pushed.Acknowledged == events && onServer == events,
            $"SDK push: {pushed.Acknowledged} acknowledged, {pending} still pending, {onServer} on the server, of {events}");
        return new Throughput(events, seconds, (events + Defaults.PushBatchSize - 1) / Defaults.PushBatchSize, $"{pushed.Acknowledged:N0} acknowledged, pending {pending}, {onServer:N0} on the server");
    }

    /// <summary>The SDK's default options (PushBatchSize, PullPageSize), which the SDK phases use.</summary>
    public static readonly SyncClientOptions Defaults = new() { Server = new Uri("http://localhost/"), Token = "-", DatabasePath = "-" };

    // The SDK's defaults (PushBatchSize, PullPageSize), over the in-process host's handler like the bare client.
    public static Task<RealtimeSyncClient> OpenAsync(HubApp app, string token, string databasePath) =>
        RealtimeSyncClient.OpenAsync(new SyncClientOptions
        {
            Server = app.Server.BaseAddress,
            Token = token,
            DatabasePath = databasePath,
            HttpHandler = app.Server.CreateHandler(),
            ListenForChanges = false,
            MaxRetries = 0,
        });

    private static JsonObject Member(int i) =>
        new() { ["name"] = $"Bench {i}", ["role"] = "Dev", ["joinDate"] = "2021-03-01", ["employeeId"] = $"E-{i}" };

    private static async Task<long> CountAsync(string connectionString, string tenant, string like)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM entities WHERE tenant_id = @t AND id LIKE @l AND NOT deleted", connection);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("l", like);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new InvalidOperationException(message);
        }
    }
}

internal sealed record Throughput(int Items, double Seconds, int Requests, string Verified)
{
    public double PerSecond => Items / Seconds;
}
