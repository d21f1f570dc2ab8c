using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Sync;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Shared.Sync;
using RealtimeSync.Hub.Tests.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Sync;

/// <summary>sync/up, sync/down and conflict resolution through the real host, on SQLite and on PostgreSQL.</summary>
public abstract class SyncApiSuite : BackendSuite
{
    private static readonly JsonSerializerOptions Web = JsonSerializerOptions.Web;

    internal static HttpClient Client(HubApp app, string subject = "laptop-1", string tenant = "demo", string role = "editor")
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(app, subject, tenant, role));
        return client;
    }

    internal static string Token(HubApp app, string subject, string tenant = "demo", string role = "editor") =>
        app.Services.GetRequiredService<TokenIssuer>().Issue(tenant, subject, [role], TimeSpan.FromMinutes(10));

    internal static JsonObject Event(string id, string operation, string entityId, string payload = "{}", long? baseVersion = null, string type = "team", string tenant = "demo")
    {
        var e = new JsonObject
        {
            ["id"] = id,
            ["tenantId"] = tenant,
            ["entityType"] = type,
            ["entityId"] = entityId,
            ["operation"] = operation,
            ["payload"] = JsonNode.Parse(payload),
            ["createdAt"] = "2020-01-01T00:00:00Z", // a skewed client clock: never used to order
        };
        if (baseVersion is not null)
        {
            e["baseVersion"] = baseVersion;
        }

        return e;
    }

    internal static JsonObject NewMember(string id, string eventId, string name = "Grace") =>
        Event(eventId, "CREATE", id, $$"""{"name":"{{name}}","role":"Dev","joinDate":"2021-03-01","employeeId":"E-{{id}}"}""");

    internal static StringContent Body(string clientId, params JsonObject[] events) =>
        new(new JsonObject { ["clientId"] = clientId, ["events"] = new JsonArray(events.Select(e => (JsonNode)e.DeepClone()).ToArray()) }.ToJsonString(), Encoding.UTF8, "application/json");

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    internal static async Task<(HttpResponseMessage Response, string Text)> UpAsync(HttpClient client, string clientId, params JsonObject[] events)
    {
        var response = await client.PostAsync("/api/sync/up", Body(clientId, events));
        return (response, await response.Content.ReadAsStringAsync());
    }

    internal static async Task<SyncUpResponse> UpOkAsync(HttpClient client, string clientId, params JsonObject[] events)
    {
        var (response, text) = await UpAsync(client, clientId, events);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<SyncUpResponse>(text, Web)!;
    }

    internal static async Task<SyncDownResponse> DownAsync(HttpClient client, string clientId, string? cursor, int limit = 100, string? types = null)
    {
        var body = new JsonObject { ["clientId"] = clientId, ["cursor"] = cursor, ["limit"] = limit };
        if (types is not null)
        {
            body["entityTypes"] = JsonNode.Parse(types);
        }

        var response = await client.PostAsync("/api/sync/down", Json(body.ToJsonString()));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<SyncDownResponse>(text, Web)!;
    }

    internal static async Task<T> InDbAsync<T>(HubApp app, Func<RealtimeSyncDb, Task<T>> query)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>());
    }

    internal static Task<int> ChangeCountAsync(HubApp app, string? origin = null) =>
        InDbAsync(app, db => db.Changes.CountAsync(c => c.TenantId == "demo" && (origin == null || c.Origin == origin)));

    [Fact]
    public async Task The_same_batch_sent_twice_gets_an_identical_answer_and_is_applied_once()
    {
        var app = Start();
        using var client = Client(app);
        var batch = new[]
        {
            NewMember("zoe", "e1"),
            Event("e2", "UPDATE", "zoe", """{"role":"Lead"}""", baseVersion: 1),
            Event("e3", "UPDATE", "nobody", """{"role":"Lead"}""", baseVersion: 1),
        };

        var (first, firstText) = await UpAsync(client, "laptop-1", batch);
        var changesAfterFirst = await ChangeCountAsync(app);
        var (second, secondText) = await UpAsync(client, "laptop-1", batch);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(firstText, secondText);
        Assert.Equal(changesAfterFirst, await ChangeCountAsync(app));
        Assert.Equal(2, await ChangeCountAsync(app, origin: "laptop-1"));
        var answer = JsonSerializer.Deserialize<SyncUpResponse>(secondText, Web)!;
        Assert.Equal(["e1", "e2"], answer.Acknowledged.Select(a => a.EventId));
        Assert.Equal(2, answer.Acknowledged[1].ServerVersion);
        Assert.Equal("unknown-entity", Assert.Single(answer.Rejected).Reason);
    }

    [Fact]
    public async Task An_event_id_repeated_in_one_batch_is_applied_once_and_answered_twice()
    {
        var app = Start();
        using var client = Client(app);

        var answer = await UpOkAsync(client, "laptop-1",
            NewMember("zoe", "e1"),
            Event("e2", "UPDATE", "zoe", """{"role":"Lead"}""", baseVersion: 1),
            Event("e2", "UPDATE", "zoe", """{"role":"Something else"}""", baseVersion: 1));

        Assert.Equal(["e1", "e2", "e2"], answer.Acknowledged.Select(a => a.EventId));
        Assert.Equal(JsonSerializer.Serialize(answer.Acknowledged[1], Web), JsonSerializer.Serialize(answer.Acknowledged[2], Web));
        Assert.Equal(2, await ChangeCountAsync(app, origin: "laptop-1"));
        Assert.Equal("Lead", JsonNode.Parse((await InDbAsync(app, db => db.Entities.SingleAsync(e => e.Id == "zoe"))).Fields)!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_apply_in_order_with_the_client_as_origin()
    {
        var app = Start();
        using var client = Client(app);
        var answer = await UpOkAsync(client, "laptop-1",
            NewMember("zoe", "e1"),
            Event("e2", "UPDATE", "zoe", """{"role":"Lead"}""", baseVersion: 1),
            Event("e3", "UPDATE", "zoe", """{"role":"CTO"}""", baseVersion: 2),
            Event("e4", "DELETE", "zoe", baseVersion: 3));

        Assert.Equal(["created", "applied", "applied", "deleted"], answer.Acknowledged.Select(a => a.Status));
        Assert.Equal([1L, 2, 3, 4], answer.Acknowledged.Select(a => a.ServerVersion));
        var log = await InDbAsync(app, db => db.Changes.Where(c => c.EntityId == "zoe").OrderBy(c => c.Seq).ToListAsync());
        Assert.Equal(["create", "update", "update", "delete"], log.Select(c => c.Operation));
        Assert.All(log, c => Assert.Equal("laptop-1", c.Origin));
        Assert.Equal("\"CTO\"", JsonNode.Parse(log[2].Changed)!["role"]!.ToJsonString());
    }

    [Fact]
    public async Task A_stale_update_of_a_field_someone_else_changed_is_a_conflict_with_the_server_data()
    {
        var app = Start();
        using var client = Client(app);
        await UpOkAsync(client, "laptop-1", NewMember("zoe", "e1"));
        using var admin = Client(app, subject: "editor-anna");
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsync("/api/tenants/demo/entities/team/zoe", Json("""{"baseVersion":1,"fields":{"role":"Architect"}}"""))).StatusCode);

        var answer = await UpOkAsync(client, "laptop-1", Event("e2", "UPDATE", "zoe", """{"role":"Lead"}""", baseVersion: 1));

        var conflict = Assert.Single(answer.Conflicts);
        Assert.Equal("field-conflict", conflict.Reason);
        Assert.Equal("role", Assert.Single(conflict.ConflictingFields).Field);
        Assert.Equal("Architect", conflict.ConflictingFields[0].ServerValue!.GetValue<string>());
        Assert.Equal("Lead", conflict.ConflictingFields[0].ClientValue!.GetValue<string>());
        Assert.Equal(2, conflict.ServerData!.Version);
        Assert.Equal("Architect", conflict.ServerData.Fields["role"]!.GetValue<string>());
        Assert.Empty(answer.Acknowledged);
        var stored = await InDbAsync(app, db => db.SyncConflicts.SingleAsync());
        Assert.Equal(("pending", "e2", "UPDATE"), (stored.Status, stored.EventId, stored.Operation));
        Assert.Equal(2, (await InDbAsync(app, db => db.Entities.SingleAsync(e => e.Id == "zoe"))).Version);
    }

    [Fact]
    public async Task A_stale_update_of_a_different_field_merges_and_is_acknowledged()
    {
        var app = Start();
        using var client = Client(app);
        await UpOkAsync(client, "laptop-1", NewMember("zoe", "e1"));
        using var admin = Client(app, subject: "editor-anna");
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsync("/api/tenants/demo/entities/team/zoe", Json("""{"baseVersion":1,"fields":{"role":"Architect"}}"""))).StatusCode);

        var answer = await UpOkAsync(client, "laptop-1", Event("e2", "UPDATE", "zoe", """{"name":"Grace Hopper","employeeId":"FORGED"}""", baseVersion: 1));

        var ack = Assert.Single(answer.Acknowledged);
        Assert.Equal(("applied", 3L), (ack.Status, ack.ServerVersion));
        Assert.Equal(["role"], ack.Merged);
        Assert.Equal(["employeeId"], ack.Preserved);
        var entity = await InDbAsync(app, db => db.Entities.SingleAsync(e => e.Id == "zoe"));
        var fields = JsonNode.Parse(entity.Fields)!;
        Assert.Equal(("Grace Hopper", "Architect", "E-zoe"), (fields["name"]!.GetValue<string>(), fields["role"]!.GetValue<string>(), fields["employeeId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_invalid_payload_is_rejected_with_a_reason_and_later_events_still_apply()
    {
        var app = Start();
        using var client = Client(app);
        var answer = await UpOkAsync(client, "laptop-1",
            Event("e1", "CREATE", "bad", """{"name":42}"""),
            Event("e2", "CREATE", "x1", "{}", type: "spaceships"),
            Event("e3", "PATCH", "x2"),
            NewMember("zoe", "e4"));

        Assert.Equal(["e1", "e2", "e3"], answer.Rejected.Select(r => r.EventId));
        Assert.Equal(["invalid-payload", "unknown-entity-type", "invalid-event"], answer.Rejected.Select(r => r.Reason));
        Assert.Contains("payload.name", answer.Rejected[0].Errors.Keys);
        Assert.Equal(["entityType"], answer.Rejected[1].Errors.Keys);
        Assert.Equal(["operation"], answer.Rejected[2].Errors.Keys);
        Assert.Equal("e4", Assert.Single(answer.Acknowledged).EventId);
        Assert.Equal(1, await ChangeCountAsync(app, origin: "laptop-1"));
    }

    [Fact]
    public async Task An_event_refused_for_its_shape_is_not_remembered_and_the_corrected_event_applies_under_the_same_id()
    {
        var app = Start();
        using var client = Client(app);
        var bad = NewMember("zoe", "e1");
        bad["operation"] = "INSERT";

        var first = await UpOkAsync(client, "laptop-1", bad);
        var corrected = await UpOkAsync(client, "laptop-1", NewMember("zoe", "e1"));

        Assert.Equal(("e1", "invalid-event"), (Assert.Single(first.Rejected).EventId, first.Rejected[0].Reason));
        Assert.Equal(("e1", "created"), (Assert.Single(corrected.Acknowledged).EventId, corrected.Acknowledged[0].Status));
        Assert.Empty(corrected.Rejected);
        Assert.Equal(1, await ChangeCountAsync(app, origin: "laptop-1"));
    }

    [Fact]
    public async Task The_clients_outbox_bookkeeping_fields_are_ignored_but_other_unknown_properties_are_refused()
    {
        var app = Start();
        using var client = Client(app);
        var withBookkeeping = NewMember("zoe", "e1");
        withBookkeeping["status"] = "PENDING";
        withBookkeeping["attemptCount"] = 3;
        withBookkeeping["lastAttemptAt"] = "2026-12-01T10:00:00Z";
        withBookkeeping["errorMessage"] = "timeout";
        var misspelt = NewMember("eve", "e2");
        misspelt["entityID"] = "eve";

        var answer = await UpOkAsync(client, "laptop-1", withBookkeeping, misspelt);

        Assert.Equal("e1", Assert.Single(answer.Acknowledged).EventId);
        var refused = Assert.Single(answer.Rejected);
        Assert.Equal(("e2", "invalid-event", "entityID"), (refused.EventId, refused.Reason, string.Join(",", refused.Errors.Keys)));
        var entity = await InDbAsync(app, db => db.Entities.SingleAsync(e => e.Id == "zoe"));
        var fields = JsonNode.Parse(entity.Fields)!.AsObject();
        Assert.DoesNotContain(fields, f => f.Key is "status" or "attemptCount" or "lastAttemptAt" or "errorMessage");
    }

    [Fact]
    public async Task A_client_lists_its_open_conflicts_with_both_sides_and_not_another_clients()
    {
        var app = Start();
        using var laptop = Client(app);
        using var phone = Client(app, subject: "phone-1");
        using var admin = Client(app, subject: "boss", role: "admin");
        await UpOkAsync(laptop, "laptop-1", NewMember("zoe", "e1"));
        await UpOkAsync(phone, "phone-1", Event("p1", "UPDATE", "zoe", """{"role":"Lead"}""", baseVersion: 1));
        await UpOkAsync(laptop, "laptop-1", Event("e2", "UPDATE", "zoe", """{"role":"Intern"}""", baseVersion: 1));

        var mine = await laptop.GetFromJsonAsync<SyncConflictList>("/api/sync/conflicts?clientId=laptop-1", Web);
        var others = await phone.GetAsync("/api/sync/conflicts?clientId=laptop-1");
        var asAdmin = await admin.GetFromJsonAsync<SyncConflictList>("/api/sync/conflicts?clientId=laptop-1", Web);

        var open = Assert.Single(mine!.Conflicts);
        Assert.Equal(("e2", "field-conflict", "Intern", "Lead"), (open.EventId, open.Reason, open.LocalPayload["role"]!.GetValue<string>(), open.ServerData!.Fields["role"]!.GetValue<string>()));
        Assert.Equal("role", Assert.Single(open.ConflictingFields).Field);
        Assert.Equal(HttpStatusCode.Forbidden, others.StatusCode);
        Assert.Equal("clientId", JsonNode.Parse(await others.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        Assert.Equal("e2", Assert.Single(asAdmin!.Conflicts).EventId);

        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/api/sync/conflicts/e2/resolve", Json("""{"resolution":"accept-server"}"""))).StatusCode);
        Assert.Empty((await laptop.GetFromJsonAsync<SyncConflictList>("/api/sync/conflicts?clientId=laptop-1", Web))!.Conflicts);
    }

    [Fact]
    public async Task A_token_for_one_tenant_sending_events_for_another_gets_everything_refused_and_nothing_written()
    {
        var app = Start();
        using var client = Client(app);
        var before = await InDbAsync(app, db => db.Changes.CountAsync());

        var (response, text) = await UpAsync(client, "laptop-1", NewMember("zoe", "e1"), Event("e2", "CREATE", "eve", """{"name":"Eve","role":"Spy"}""", tenant: "acme"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("events[1].tenantId", JsonNode.Parse(text)!["field"]!.GetValue<string>());
        Assert.Equal(before, await InDbAsync(app, db => db.Changes.CountAsync()));
        Assert.Equal(0, await InDbAsync(app, db => db.OutboxReceipts.CountAsync()));
        Assert.Null(await InDbAsync(app, db => db.Entities.FirstOrDefaultAsync(e => e.Id == "zoe")));
        var log = await InDbAsync(app, db => db.SyncLog.SingleAsync());
        Assert.Equal(("up", "forbidden", "laptop-1"), (log.Direction, log.Status, log.ClientId));
    }

    [Fact]
    public async Task A_client_that_dies_before_reading_the_answer_gets_the_stored_results_on_retry()
    {
        var app = new HubApp(BackendSettings(), realServer: true);
        await using var _ = app;
        var events = Enumerable.Range(0, 300).Select(i => NewMember($"m{i:D3}", $"ev-{i:D3}", name: $"Member {i}")).ToArray();
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["clientId"] = "laptop-1", ["events"] = new JsonArray(events.Select(e => (JsonNode)e.DeepClone()).ToArray()) }.ToJsonString());

        // Send the batch on a raw socket and vanish once the server has applied part of it.
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(app.Address.Host, app.Address.Port);
            var stream = socket.GetStream();
            var head = $"POST /api/sync/up HTTP/1.1\r\nHost: {app.Address.Authority}\r\nAuthorization: Bearer {Token(app, "laptop-1")}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(body);
            await Eventually.HoldsAsync(async () => await InDbAsync(app, db => db.OutboxReceipts.CountAsync()) > 0, "a first receipt committed", 20);
            socket.Client.LingerState = new LingerOption(true, 0);
        }

        // The first request ends (finished or aborted) and is logged either way.
        await Eventually.HoldsAsync(async () => await InDbAsync(app, db => db.SyncLog.CountAsync()) == 1, "one sync log entry", 20);
        var applied = await InDbAsync(app, db => db.OutboxReceipts.CountAsync());
        Assert.InRange(applied, 1, 300);

        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(app, "laptop-1"));
        var answer = await UpOkAsync(client, "laptop-1", events);

        Assert.Equal(events.Select(e => e["id"]!.GetValue<string>()), answer.Acknowledged.Select(a => a.EventId));
        Assert.All(answer.Acknowledged, a => Assert.Equal(("created", 1L), (a.Status, a.ServerVersion)));
        Assert.Equal(300, await ChangeCountAsync(app, origin: "laptop-1"));
        Assert.Equal(300, await InDbAsync(app, db => db.Entities.CountAsync(e => e.Id.StartsWith("m"))));
    }

    [Fact]
    public async Task Two_identical_requests_on_two_nodes_at_once_apply_each_event_once()
    {
        var nodeA = Start();
        var nodeB = Start();
        using var a = Client(nodeA);
        using var b = Client(nodeB);
        var events = Enumerable.Range(0, 40).Select(i => NewMember($"m{i:D2}", $"ev-{i:D2}")).ToArray();

        var answers = await Task.WhenAll(UpAsync(a, "laptop-1", events), UpAsync(b, "laptop-1", events));

        Assert.All(answers, x => Assert.Equal(HttpStatusCode.OK, x.Response.StatusCode));
        Assert.Equal(answers[0].Text, answers[1].Text);
        Assert.Equal(40, await ChangeCountAsync(nodeA, origin: "laptop-1"));
        Assert.Equal(40, JsonSerializer.Deserialize<SyncUpResponse>(answers[0].Text, Web)!.Acknowledged.Count(x => x.Status == "created"));
    }

    [Fact]
    public async Task Down_pages_through_every_change_with_current_payloads_tombstones_and_own_writes()
    {
        var app = Start();
        using var client = Client(app);
        using var other = Client(app, subject: "phone-2");
        await UpOkAsync(client, "laptop-1", NewMember("zoe", "e1"), NewMember("yuri", "e2"));
        await UpOkAsync(other, "phone-2", Event("p1", "UPDATE", "zoe", """{"role":"Lead"}""", baseVersion: 1), Event("p2", "DELETE", "yuri", baseVersion: 1));

        var entries = new List<SyncDownChange>();
        string? cursor = null;
        var pages = 0;
        while (true)
        {
            var page = await DownAsync(client, "laptop-1", cursor, limit: 3);
            entries.AddRange(page.Changes);
            cursor = page.Cursor;
            pages++;
            if (!page.HasMore)
            {
                break;
            }
        }

        var total = await InDbAsync(app, db => db.Changes.CountAsync(c => c.TenantId == "demo"));
        Assert.True(pages >= total / 3, $"{pages} pages for {total} changes");
        var grace = entries.Last(e => e.EntityId == "zoe");
        Assert.Equal(("UPDATE", 2L, "Lead", "phone-2"), (grace.Operation, grace.ServerVersion, grace.Payload!["role"]!.GetValue<string>(), grace.Origin));
        var alan = entries.Last(e => e.EntityId == "yuri");
        Assert.Equal(("DELETE", 2L), (alan.Operation, alan.ServerVersion));
        Assert.Null(alan.Payload);
        Assert.Equal(entries.Select(e => e.Seq).Order(), entries.Select(e => e.Seq));

        // Nothing new: an empty page at the same cursor. The type filter keeps only that type.
        var empty = await DownAsync(client, "laptop-1", cursor);
        Assert.Empty(empty.Changes);
        Assert.Equal(cursor, empty.Cursor);
        var settingsOnly = await DownAsync(client, "laptop-1", null, limit: 500, types: """["settings"]""");
        Assert.All(settingsOnly.Changes, c => Assert.Equal("settings", c.EntityType));
        var clientRow = await InDbAsync(app, db => db.SyncClients.SingleAsync(c => c.ClientId == "laptop-1"));
        Assert.NotNull(clientRow.LastDownAt);
        Assert.NotNull(clientRow.LastUpAt);
    }

    [Fact]
    public async Task A_client_paging_down_while_two_nodes_commit_concurrently_gets_every_change_once()
    {
        // The reader polls as fast as it can: no rate limits here.
        var unlimited = new Dictionary<string, string?> { ["Sync:RateLimits:PerClient:PermitLimit"] = "0", ["Sync:RateLimits:PerTenant:PermitLimit"] = "0" };
        var nodeA = Start(unlimited);
        var nodeB = Start(unlimited);
        using var a = Client(nodeA, subject: "writer-a");
        using var b = Client(nodeB, subject: "writer-b");
        using var reader = Client(nodeA, subject: "reader", role: "viewer");

        for (var round = 0; round < 8; round++)
        {
            var seen = new List<(string Id, long Seq)>();
            string? cursor = null;
            var start = await InDbAsync(nodeA, db => db.TenantCounters.Where(c => c.TenantId == "demo").Select(c => c.LastSeq).SingleAsync());
            cursor = ChangeCursor.Encode(start);
            var writing = 1;

            async Task ReadAsync()
            {
                while (true)
                {
                    var page = await DownAsync(reader, "reader", cursor, limit: 4);
                    seen.AddRange(page.Changes.Select(c => (c.EntityId, c.Seq)));
                    cursor = page.Cursor;
                    if (!page.HasMore)
                    {
                        return;
                    }
                }
            }

            var readerTask = Task.Run(async () =>
            {
                while (Volatile.Read(ref writing) == 1)
                {
                    await ReadAsync();
                }
            });

            // A transaction held open on node A's database while both nodes write: the writes queue behind it
            // and commit in whatever order; the reader must not move past a sequence that commits later.
            var held = Task.Run(async () =>
            {
                await using var scope = nodeA.Services.CreateAsyncScope();
                var store = scope.ServiceProvider.GetRequiredService<EntityStore>();
                var schema = scope.ServiceProvider.GetRequiredService<EntityTypes>().Current.Find("demo", "team")!;
                await store.CreateAsync("demo", schema, $"slow-{round}",
                    new Shared.Entities.EntityPatch(new Dictionary<string, JsonNode?> { ["name"] = "Slow", ["role"] = "Dev" }, null),
                    new WriteContext("slow", "api"), default, async _ => await Task.Delay(150));
            });
            var writers = Enumerable.Range(0, 12).Select(i => UpAsync(i % 2 == 0 ? a : b, i % 2 == 0 ? "writer-a" : "writer-b", NewMember($"r{round}-{i:D2}", $"ev-{round}-{i}"))).ToList();
            await Task.WhenAll(writers.Cast<Task>().Append(held));
            Assert.All(writers, w => Assert.Equal(HttpStatusCode.OK, w.Result.Response.StatusCode));
            Volatile.Write(ref writing, 0);
            await readerTask;
            await ReadAsync();

            var expected = await InDbAsync(nodeA, db => db.Changes.Where(c => c.TenantId == "demo" && c.Seq > start).OrderBy(c => c.Seq).Select(c => c.EntityId).ToListAsync());
            Assert.Equal(13, expected.Count);
            Assert.Equal(expected, seen.Select(s => s.Id).ToList());
        }
    }

    [Fact]
    public async Task Resolutions_apply_once_and_are_pushed_to_the_client()
    {
        var app = Start();
        using var client = Client(app);
        using var admin = Client(app, subject: "editor-anna");
        await UpOkAsync(client, "laptop-1", NewMember("zoe", "e1"), NewMember("yuri", "e2"), NewMember("xena", "e3"));
        foreach (var id in new[] { "zoe", "yuri", "xena" })
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsync($"/api/tenants/demo/entities/team/{id}", Json("""{"baseVersion":1,"fields":{"role":"Architect"}}"""))).StatusCode);
        }

        var answer = await UpOkAsync(client, "laptop-1",
            Event("c1", "UPDATE", "zoe", """{"role":"Lead"}""", baseVersion: 1),
            Event("c2", "UPDATE", "yuri", """{"role":"Lead","name":"Alan T"}""", baseVersion: 1),
            Event("c3", "UPDATE", "xena", """{"role":"Lead"}""", baseVersion: 1));
        Assert.Equal(3, answer.Conflicts.Count);

        var pushed = new List<Publication>();
        using var listening = app.Services.GetRequiredService<ChannelPublisher>().Listen("demo/sync/laptop-1", p =>
        {
            lock (pushed)
            {
                pushed.Add(p);
            }

            return Task.CompletedTask;
        });

        var keep = await client.PostAsync("/api/sync/conflicts/c1/resolve", Json("""{"resolution":"keep-local"}"""));
        var accept = await client.PostAsync("/api/sync/conflicts/c2/resolve", Json("""{"resolution":"accept-server"}"""));
        var merge = await client.PostAsync("/api/sync/conflicts/c3/resolve", Json("""{"resolution":"merge","fields":{"role":"Lead Architect"}}"""));
        var again = await client.PostAsync("/api/sync/conflicts/c1/resolve", Json("""{"resolution":"accept-server"}"""));

        Assert.Equal(HttpStatusCode.OK, keep.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        Assert.Equal(HttpStatusCode.OK, merge.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("eventId", JsonNode.Parse(await again.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        var entities = await InDbAsync(app, db => db.Entities.Where(e => e.TenantId == "demo" && e.EntityType == "team").ToDictionaryAsync(e => e.Id, e => JsonNode.Parse(e.Fields)!["role"]?.GetValue<string>()));
        Assert.Equal(("Lead", "Architect", "Lead Architect"), (entities["zoe"], entities["yuri"], entities["xena"]));
        Assert.Equal(0, await InDbAsync(app, db => db.SyncConflicts.CountAsync(c => c.Status == "pending")));
        lock (pushed)
        {
            Assert.Equal(["c1", "c2", "c3"], pushed.Where(p => p.Type == SyncPushes.ConflictResolvedType).Select(p => p.Data.GetProperty("eventId").GetString()));
        }
    }

    [Fact]
    public async Task Over_the_rate_limit_a_client_gets_429_with_retry_after()
    {
        var app = Start(new() { ["Sync:RateLimits:PerClient:PermitLimit"] = "2", ["Sync:RateLimits:PerClient:WindowSeconds"] = "30" });
        using var client = Client(app);
        using var other = Client(app, subject: "phone-2");

        Assert.Equal(HttpStatusCode.OK, (await DownRawAsync(client, "laptop-1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await DownRawAsync(client, "laptop-1")).StatusCode);
        var limited = await DownRawAsync(client, "laptop-1");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 30);
        Assert.Equal("clientId", JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await DownRawAsync(other, "phone-2")).StatusCode); // another client has its own budget
        Assert.Equal(1, await InDbAsync(app, db => db.SyncLog.CountAsync(l => l.Status == "rate-limited")));
    }

    [Fact]
    public async Task Over_the_tenant_rate_limit_every_client_of_the_tenant_gets_429()
    {
        var app = Start(new() { ["Sync:RateLimits:PerTenant:PermitLimit"] = "2" });
        using var client = Client(app);
        using var other = Client(app, subject: "phone-2");

        Assert.Equal(HttpStatusCode.OK, (await DownRawAsync(client, "laptop-1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await DownRawAsync(other, "phone-2")).StatusCode);
        var limited = await DownRawAsync(other, "phone-2");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal("tenant", JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
    }

    private static Task<HttpResponseMessage> DownRawAsync(HttpClient client, string clientId) =>
        client.PostAsync("/api/sync/down", Json($$"""{"clientId":"{{clientId}}"}"""));

    public static TheoryData<string, string, string, HttpStatusCode, string> BadInputs => new()
    {
        { "editor", "/api/sync/up", "{not json", HttpStatusCode.BadRequest, "body" },
        { "editor", "/api/sync/up", "[1,2]", HttpStatusCode.BadRequest, "body" },
        { "editor", "/api/sync/up", """{"events":[]}""", HttpStatusCode.BadRequest, "clientId" },
        { "editor", "/api/sync/up", """{"clientId":"phone-2","events":[]}""", HttpStatusCode.Forbidden, "clientId" },
        { "editor", "/api/sync/up", """{"clientId":"laptop-1","events":{}}""", HttpStatusCode.BadRequest, "events" },
        { "editor", "/api/sync/up", """{"clientId":"laptop-1","events":[],"extra":1}""", HttpStatusCode.BadRequest, "extra" },
        { "viewer", "/api/sync/up", """{"clientId":"laptop-1","events":[]}""", HttpStatusCode.Forbidden, "role" },
        { "editor", "/api/sync/down", """{"clientId":"laptop-1","cursor":"bm9wZQ"}""", HttpStatusCode.BadRequest, "cursor" },
        { "editor", "/api/sync/down", """{"clientId":"laptop-1","cursor":"YzE6OTk5OTk5"}""", HttpStatusCode.BadRequest, "cursor" },
        { "editor", "/api/sync/down", """{"clientId":"laptop-1","cursor":5}""", HttpStatusCode.BadRequest, "cursor" },
        { "editor", "/api/sync/down", """{"clientId":"laptop-1","limit":501}""", HttpStatusCode.BadRequest, "limit" },
        { "editor", "/api/sync/down", """{"clientId":"laptop-1","limit":"ten"}""", HttpStatusCode.BadRequest, "limit" },
        { "editor", "/api/sync/down", """{"clientId":"laptop-1","entityTypes":["team","spaceships"]}""", HttpStatusCode.BadRequest, "entityTypes[1]" },
        { "editor", "/api/sync/conflicts/nope/resolve", """{"resolution":"accept-server"}""", HttpStatusCode.NotFound, "eventId" },
        { "editor", "/api/sync/conflicts/nope/resolve", """{"resolution":"server-wins"}""", HttpStatusCode.BadRequest, "resolution" },
        { "editor", "/api/sync/conflicts/nope/resolve", """{"resolution":"merge","fields":[1]}""", HttpStatusCode.BadRequest, "fields" },
        { "editor", "/api/sync/conflicts/nope/resolve", """{"resolution":"accept-server","clientId":"phone-2"}""", HttpStatusCode.Forbidden, "clientId" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_a_problem_naming_the_field_and_is_logged(string role, string path, string body, HttpStatusCode status, string field)
    {
        var app = Start();
        using var client = Client(app, role: role);

        var response = await client.PostAsync(path, Json(body));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(field, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        var log = await InDbAsync(app, db => db.SyncLog.SingleAsync());
        Assert.NotEqual("ok", log.Status);
        Assert.Equal(0, await InDbAsync(app, db => db.OutboxReceipts.CountAsync()));
    }

    [Fact]
    public async Task Without_a_token_sync_is_401_and_another_tenants_cursor_is_refused()
    {
        var app = Start();
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/sync/down", Json("""{"clientId":"laptop-1"}"""))).StatusCode);

        using var client = Client(app);
        await UpOkAsync(client, "laptop-1", NewMember("zoe", "e1"));
        var far = ChangeCursor.Encode(await InDbAsync(app, db => db.TenantCounters.Where(c => c.TenantId == "demo").Select(c => c.LastSeq).SingleAsync()));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            db.Tenants.Add(new TenantRow { Id = "acme", Name = "Acme", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        using var acme = Client(app, subject: "acme-laptop", tenant: "acme");
        var response = await acme.PostAsync("/api/sync/down", Json(new JsonObject { ["clientId"] = "acme-laptop", ["cursor"] = far }.ToJsonString()));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("cursor", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        var fresh = await DownAsync(acme, "acme-laptop", null);
        Assert.Empty(fresh.Changes); // nothing of tenant demo
    }

    [Fact]
    public async Task A_node_client_on_its_sync_channel_gets_changes_available_after_an_edit_and_progress_during_a_big_upload()
    {
        var app = new HubApp(BackendSettings(), realServer: true);
        await using var _ = app;
        await using var subscriber = NodeSubscriber.Start(new Uri(app.Address, "/hubs/sync"), Token(app, "laptop-1"), ["demo/sync/laptop-1"]);
        await subscriber.WaitForEventAsync("subscribed", "the sync channel subscription");

        // An editor changes a record: the client is told, once, with a cursor at that change.
        using var editor = app.CreateClient();
        editor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(app, "editor-anna"));
        var ada = JsonNode.Parse(await editor.GetStringAsync("/api/tenants/demo/entities/team/ada"))!;
        var edit = await editor.PatchAsync("/api/tenants/demo/entities/team/ada", Json(new JsonObject { ["baseVersion"] = ada["version"]!.GetValue<long>(), ["fields"] = new JsonObject { ["role"] = "Chief Engineer" } }.ToJsonString()));
        var seq = JsonNode.Parse(await edit.Content.ReadAsStringAsync())!["seq"]!.GetValue<long>();
        var available = await subscriber.WaitForAsync(e => IsPublication(e, PublicationTypes.SyncChangesAvailable), "sync.changes-available");
        Assert.Equal(seq, available.GetProperty("data").GetProperty("latestSeq").GetInt64());
        Assert.Equal(ChangeCursor.Encode(seq), available.GetProperty("data").GetProperty("cursor").GetString());

        // A 2,000-event upload reports progress every 100 events.
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(app, "laptop-1"));
        var answer = await UpOkAsync(client, "laptop-1", Enumerable.Range(0, 2000).Select(i => NewMember($"bulk-{i:D4}", $"bulk-{i:D4}")).ToArray());
        Assert.Equal(2000, answer.Acknowledged.Count);
        var progress = await subscriber.WaitForCountAsync(e => IsPublication(e, PublicationTypes.SyncProgress), 20, "20 sync.progress publications", TimeSpan.FromSeconds(30));
        var processed = progress.Select(p => p.GetProperty("data").GetProperty("processed").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i * 100), processed);
        Assert.All(progress, p => Assert.Equal(("up", 2000L), (p.GetProperty("data").GetProperty("direction").GetString(), p.GetProperty("data").GetProperty("total").GetInt64())));

        // The client's own writes are no news to it: no further changes-available once they are all published.
        var latest = answer.Acknowledged.Max(a => a.Seq!.Value);
        await app.Services.GetRequiredService<EntityChangeFeed>().WaitPublishedAsync("demo", latest, TimeSpan.FromSeconds(30));
        await Task.Delay(1200);
        Assert.Single(subscriber.Publications, e => IsPublication(e, PublicationTypes.SyncChangesAvailable));

        // A download page of 500 with more to come reports its progress too.
        var page = await DownAsync(client, "laptop-1", null, limit: 500);
        Assert.True(page.HasMore);
        var down = await subscriber.WaitForAsync(e => IsPublication(e, PublicationTypes.SyncProgress) && e.GetProperty("data").GetProperty("direction").GetString() == "down", "a download sync.progress");
        Assert.Equal(500, down.GetProperty("data").GetProperty("processed").GetInt32());
        Assert.True(down.GetProperty("data").GetProperty("total").GetInt64() > 2000);
    }

    [Fact]
    public async Task Receipts_and_log_entries_past_their_retention_are_pruned_and_newer_ones_kept()
    {
        var app = Start(new() { ["Sync:ReceiptRetentionDays"] = "30", ["Sync:LogRetentionDays"] = "90" });
        using var client = Client(app);
        await UpOkAsync(client, "laptop-1", NewMember("zoe", "fresh"));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            var old = DateTimeOffset.UtcNow.AddDays(-31);
            db.OutboxReceipts.Add(new OutboxReceiptRow { TenantId = "demo", ClientId = "laptop-1", EventId = "stale", Outcome = "rejected", Result = "{}", ProcessedAt = old });
            db.SyncLog.Add(new SyncLogRow { TenantId = "demo", ClientId = "laptop-1", Direction = "up", Status = "ok", At = old });
            db.SyncLog.Add(new SyncLogRow { TenantId = "demo", ClientId = "laptop-1", Direction = "up", Status = "ok", At = DateTimeOffset.UtcNow.AddDays(-91) });
            await db.SaveChangesAsync();
        }

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var pruned = await scope.ServiceProvider.GetRequiredService<SyncService>().PruneAsync(default);
            Assert.Equal((1, 1), pruned);
        }

        Assert.Equal(["fresh"], await InDbAsync(app, db => db.OutboxReceipts.Select(r => r.EventId).ToListAsync()));
        Assert.Equal(2, await InDbAsync(app, db => db.SyncLog.CountAsync())); // the fresh upload and the 31-day-old entry
    }

    private static bool IsPublication(JsonElement e, string type) => NodeSubscriber.Is(e, "publication") && e.GetProperty("type").GetString() == type;

    /// <summary>This test's database settings, for a host started apart from <see cref="BackendSuite.Start"/> (a real-socket one).</summary>
    private Dictionary<string, string?> BackendSettings()
    {
        var app = Start(); // creates this test's database (and migrates it); its settings are reused below
        return new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["ConnectionStrings:Postgres"],
            ["Storage:DataPath"] = app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["Storage:DataPath"],
        };
    }

}

public sealed class SqliteSyncApiTests : SyncApiSuite
{
    protected override Backend Backend => Backend.Sqlite;
}

public sealed class PostgresSyncApiTests : SyncApiSuite
{
    protected override Backend Backend => Backend.Postgres;
}
