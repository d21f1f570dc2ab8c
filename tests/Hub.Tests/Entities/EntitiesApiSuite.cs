using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Entities;

/// <summary>The entities API through the real host, run on SQLite and on PostgreSQL.</summary>
public abstract class EntitiesApiSuite : BackendSuite
{
    private const string Ada = "/api/tenants/demo/entities/team/ada";

    protected static HttpClient Client(HubApp app, string tenant = "demo", string role = "editor", string subject = "tester")
    {
        var client = app.CreateClient();
        var token = app.Services.GetRequiredService<TokenIssuer>().Issue(tenant, subject, [role], TimeSpan.FromMinutes(10));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    protected static async Task<JsonObject> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    protected static async Task<JsonObject> CreateMemberAsync(HttpClient client, string id, string name = "Linus", string? extra = null)
    {
        var response = await client.PostAsync("/api/tenants/demo/entities/team",
            Json("{\"id\":\"" + id + "\",\"fields\":{\"name\":\"" + name + "\",\"role\":\"Dev\",\"joinDate\":\"2022-01-10\",\"employeeId\":\"E-" + id + "\"" + (extra is null ? "" : "," + extra) + "}}"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ReadAsync(response);
    }

    protected static Task<HttpResponseMessage> PatchAsync(HttpClient client, string path, long baseVersion, string fields) =>
        client.PatchAsync(path, Json($$"""{"baseVersion":{{baseVersion}},"fields":{{fields}}}"""));

    protected static async Task<int> ChangeCountAsync(HubApp app, string type = "team")
    {
        await using var scope = app.Services.CreateAsyncScope();
        var (changes, _) = await scope.ServiceProvider.GetRequiredService<EntityStore>().ChangesAsync("demo", 0, 10_000, type);
        return changes.Count;
    }

    /// <summary>Editors on two nodes of this test's database, and the current version of the seeded member ada.</summary>
    private async Task<(HttpClient A, HttpClient B, long Version)> TwoNodesAndAdasVersionAsync()
    {
        var a = Client(Start());
        var b = Client(Start());
        return (a, b, (await ReadAsync(await a.GetAsync(Ada)))["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Create_then_get_returns_the_entity_with_its_version_as_etag()
    {
        var app = Start();
        using var client = Client(app);
        var created = await CreateMemberAsync(client, "linus");
        Assert.Equal("created", created["status"]!.GetValue<string>());
        Assert.Equal(1, created["entity"]!["version"]!.GetValue<long>());
        Assert.NotNull(created["entity"]!["fields"]!["createdAt"]); // set by the server

        var get = await client.GetAsync("/api/tenants/demo/entities/team/linus");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("\"1\"", get.Headers.ETag!.Tag);
        Assert.Equal("Linus", (await ReadAsync(get))["fields"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Preserved_fields_survive_a_client_that_sends_them()
    {
        var app = Start();
        using var client = Client(app);
        var created = await CreateMemberAsync(client, "linus");
        var createdAt = created["entity"]!["fields"]!["createdAt"]!.GetValue<string>();

        var response = await PatchAsync(client, "/api/tenants/demo/entities/team/linus", 1,
            """{"role":"Lead","joinDate":"1999-01-01","employeeId":"HACKED","createdAt":"2000-01-01T00:00:00Z"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadAsync(response);
        Assert.Equal(["createdAt", "employeeId", "joinDate"], body["preserved"]!.AsArray().Select(n => n!.GetValue<string>()).Order());
        Assert.Equal(["role"], body["changed"]!.AsArray().Select(n => n!.GetValue<string>()));
        var fields = body["entity"]!["fields"]!;
        Assert.Equal("Lead", fields["role"]!.GetValue<string>());
        Assert.Equal("2022-01-10", fields["joinDate"]!.GetValue<string>());
        Assert.Equal("E-linus", fields["employeeId"]!.GetValue<string>());
        Assert.Equal(createdAt, fields["createdAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task Absent_fields_are_kept_and_explicit_null_clears()
    {
        var app = Start();
        using var client = Client(app);
        await CreateMemberAsync(client, "linus", extra: "\"bio\":\"Kernel\",\"email\":\"l@example.com\"");

        var body = await ReadAsync(await PatchAsync(client, "/api/tenants/demo/entities/team/linus", 1, """{"bio":null}"""));

        var fields = body["entity"]!["fields"]!.AsObject();
        Assert.False(fields.ContainsKey("bio"));
        Assert.Equal("l@example.com", fields["email"]!.GetValue<string>());
        Assert.Equal("Linus", fields["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_concurrent_patches_of_different_fields_from_the_same_base_both_survive()
    {
        var app = Start();
        using var alice = Client(app, subject: "alice");
        using var bob = Client(app, subject: "bob");
        await CreateMemberAsync(alice, "linus");

        var responses = await Task.WhenAll(
            PatchAsync(alice, "/api/tenants/demo/entities/team/linus", 1, """{"role":"CTO"}"""),
            PatchAsync(bob, "/api/tenants/demo/entities/team/linus", 1, """{"bio":"Writes kernels"}"""));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var entity = await ReadAsync(await alice.GetAsync("/api/tenants/demo/entities/team/linus"));
        Assert.Equal("CTO", entity["fields"]!["role"]!.GetValue<string>());
        Assert.Equal("Writes kernels", entity["fields"]!["bio"]!.GetValue<string>());
        Assert.Equal(3, entity["version"]!.GetValue<long>());
        var second = (await Task.WhenAll(responses.Select(ReadAsync))).Single(b => b["entity"]!["version"]!.GetValue<long>() == 3);
        Assert.Single(second["merged"]!.AsArray()); // the later write reports the other's field as merged
    }

    [Fact]
    public async Task Same_field_from_the_same_base_is_a_409_with_the_server_state_under_reject()
    {
        var app = Start();
        using var client = Client(app);
        await CreateMemberAsync(client, "linus");
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(client, "/api/tenants/demo/entities/team/linus", 1, """{"role":"CTO"}""")).StatusCode);
        var before = await ChangeCountAsync(app);

        var response = await PatchAsync(client, "/api/tenants/demo/entities/team/linus", 1, """{"role":"Intern"}""");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadAsync(response);
        var conflict = problem["conflicts"]!.AsArray().Single()!;
        Assert.Equal("role", conflict["field"]!.GetValue<string>());
        Assert.Equal("CTO", conflict["serverValue"]!.GetValue<string>());
        Assert.Equal("Intern", conflict["clientValue"]!.GetValue<string>());
        Assert.Equal(2, problem["server"]!["version"]!.GetValue<long>());
        Assert.Equal(before, await ChangeCountAsync(app));
    }

    [Fact]
    public async Task Same_field_is_applied_and_reported_under_last_writer_wins()
    {
        var app = Start(new() { ["Entities:Overrides:demo:team:ConflictPolicy"] = "LastWriterWins" });
        using var client = Client(app);
        await CreateMemberAsync(client, "linus");
        await PatchAsync(client, "/api/tenants/demo/entities/team/linus", 1, """{"role":"CTO"}""");

        var response = await PatchAsync(client, "/api/tenants/demo/entities/team/linus", 1, """{"role":"Intern"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadAsync(response);
        Assert.Equal("Intern", body["entity"]!["fields"]!["role"]!.GetValue<string>());
        Assert.Equal("role", body["conflicts"]!.AsArray().Single()!["field"]!.GetValue<string>());
        var changes = await (await client.GetAsync("/api/tenants/demo/entities/team/changes")).Content.ReadFromJsonAsync<ChangePage>(JsonSerializerOptions.Web);
        Assert.Equal(["role"], changes!.Changes[^1].Conflicts);
    }

    [Fact]
    public async Task A_no_op_patch_keeps_the_version_writes_no_change_and_pushes_nothing()
    {
        var app = Start();
        using var client = Client(app);
        var created = await CreateMemberAsync(client, "linus");
        // The create is pushed in the background after its commit: let it go out before listening, or it can land here.
        await app.Services.GetRequiredService<EntityChangeFeed>().WaitPublishedAsync("demo", created["seq"]!.GetValue<long>(), TimeSpan.FromSeconds(10));
        var pushes = new List<Publication>();
        using var listening = app.Services.GetRequiredService<ChannelPublisher>().Listen(ChannelName.Entities("demo", "team"), p =>
        {
            lock (pushes)
            {
                pushes.Add(p);
            }

            return Task.CompletedTask;
        });
        var before = await ChangeCountAsync(app);

        var response = await PatchAsync(client, "/api/tenants/demo/entities/team/linus", 1, """{"name":"Linus","role":"Dev","employeeId":"other"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadAsync(response);
        Assert.Equal("no-change", body["status"]!.GetValue<string>());
        Assert.Equal(1, body["entity"]!["version"]!.GetValue<long>());
        Assert.Null(body["seq"]);
        Assert.Equal(before, await ChangeCountAsync(app));

        // A real change afterwards is pushed: proves the listener was live when the no-op happened.
        await PatchAsync(client, "/api/tenants/demo/entities/team/linus", 1, """{"role":"Lead"}""");
        await Eventually.HoldsAsync(() => pushes.Count == 1, "one push", 10);
        Assert.Equal(2, pushes.Single().Data.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Patch_takes_the_base_version_from_if_match()
    {
        var app = Start();
        using var client = Client(app);
        await CreateMemberAsync(client, "linus");
        var request = new HttpRequestMessage(HttpMethod.Patch, "/api/tenants/demo/entities/team/linus") { Content = Json("""{"fields":{"role":"CTO"}}""") };
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Delete_is_soft_and_appears_in_the_change_log()
    {
        var app = Start();
        using var client = Client(app);
        await CreateMemberAsync(client, "linus");

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/api/tenants/demo/entities/team/linus")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/tenants/demo/entities/team/linus")).StatusCode);
        var list = await ReadAsync(await client.GetAsync("/api/tenants/demo/entities/team"));
        Assert.DoesNotContain(list["items"]!.AsArray(), i => i!["id"]!.GetValue<string>() == "linus");
        var withTombstones = await ReadAsync(await client.GetAsync("/api/tenants/demo/entities/team?includeDeleted=true"));
        Assert.True(withTombstones["items"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == "linus")!["deleted"]!.GetValue<bool>());
        var changes = await (await client.GetAsync("/api/tenants/demo/entities/team/changes")).Content.ReadFromJsonAsync<ChangePage>(JsonSerializerOptions.Web);
        Assert.Equal("delete", changes!.Changes[^1].Operation);
        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(client, "/api/tenants/demo/entities/team/linus", 2, """{"role":"x"}""")).StatusCode);
    }

    [Fact]
    public async Task List_pages_by_id_and_filters_by_field()
    {
        var app = Start();
        using var client = Client(app);
        foreach (var id in new[] { "m1", "m2", "m3", "m4", "m5" })
        {
            await CreateMemberAsync(client, id, name: id == "m3" ? "Target" : "Other");
        }

        var page1 = await ReadAsync(await client.GetAsync("/api/tenants/demo/entities/team?limit=4"));
        var page2 = await ReadAsync(await client.GetAsync($"/api/tenants/demo/entities/team?limit=4&after={page1["next"]!.GetValue<string>()}"));
        var ids = page1["items"]!.AsArray().Concat(page2["items"]!.AsArray()).Select(i => i!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(8, ids.Distinct().Count()); // 3 seeded demo members + 5
        Assert.Null(page2["next"]);

        var filtered = await ReadAsync(await client.GetAsync("/api/tenants/demo/entities/team?field=name&equals=Target"));
        Assert.Equal("m3", filtered["items"]!.AsArray().Single()!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Writers_on_two_hosts_never_lose_an_update_of_one_entity()
    {
        var nodeA = Start();
        var nodeB = Start();
        using var a = Client(nodeA, subject: "a");
        using var b = Client(nodeB, subject: "b");
        await CreateMemberAsync(a, "linus");
        string[] fields = ["role", "email", "bio", "photoUrl", "order", "active", "skills", "name"];
        string Value(string f) => f switch { "order" => "7", "active" => "false", "skills" => "[\"c\"]", _ => $"\"{f}-value\"" };

        var writes = fields.Select((f, i) => PatchAsync(i % 2 == 0 ? a : b, "/api/tenants/demo/entities/team/linus", 1, $$"""{"{{f}}":{{Value(f)}}}"""));
        var responses = await Task.WhenAll(writes);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var entity = await ReadAsync(await a.GetAsync("/api/tenants/demo/entities/team/linus"));
        Assert.Equal(1 + fields.Length, entity["version"]!.GetValue<long>());
        foreach (var f in fields)
        {
            Assert.Equal(JsonNode.Parse(Value(f))!.ToJsonString(), entity["fields"]![f]!.ToJsonString());
        }
    }

    [Fact]
    public async Task A_reader_following_the_cursor_never_skips_a_change_while_two_hosts_write()
    {
        var nodeA = Start();
        var nodeB = Start();
        using var a = Client(nodeA);
        using var b = Client(nodeB);
        using var reader = Client(nodeA, role: "viewer");
        var seen = new List<long>();
        var cursor = "";
        var writing = true;

        async Task ReadAllAsync()
        {
            while (true)
            {
                var page = await (await reader.GetAsync($"/api/tenants/demo/entities/team/changes?limit=7&cursor={cursor}")).Content.ReadFromJsonAsync<ChangePage>(JsonSerializerOptions.Web);
                seen.AddRange(page!.Changes.Select(c => c.Seq));
                cursor = page.Cursor;
                if (!page.HasMore)
                {
                    return;
                }
            }
        }

        var readerTask = Task.Run(async () =>
        {
            while (Volatile.Read(ref writing))
            {
                await ReadAllAsync();
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => CreateMemberAsync(i % 2 == 0 ? a : b, $"w{i:D2}")));
        Volatile.Write(ref writing, false);
        await readerTask;
        await ReadAllAsync();

        var all = (await (await reader.GetAsync("/api/tenants/demo/entities/team/changes?limit=500")).Content.ReadFromJsonAsync<ChangePage>(JsonSerializerOptions.Web))!.Changes.Select(c => c.Seq).ToList();
        Assert.Equal(all, seen);
        Assert.Equal(all.Distinct().Count(), seen.Count);
    }

    [Fact]
    public async Task A_change_committed_here_is_pushed_from_memory_and_one_after_a_gap_is_read_from_the_log_in_order()
    {
        var nodeA = Start();
        var nodeB = Start();
        using var a = Client(nodeA);
        using var b = Client(nodeB);
        var node = nodeA.Services.GetRequiredService<NodeInfo>().NodeId;
        var sources = new ConcurrentQueue<string>();
        using var spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ProductTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span =>
            {
                if (span.OperationName == "changefeed.publish" && span.GetTagItem(ProductTelemetry.NodeTag) as string == node)
                {
                    sources.Enqueue(span.GetTagItem("rs.changefeed.source") as string ?? "none");
                }
            },
        };
        ActivitySource.AddActivityListener(spans);
        var pushed = new ConcurrentQueue<long>();
        using var listening = nodeA.Services.GetRequiredService<ChannelPublisher>().Listen("demo/entities/team", publication =>
        {
            pushed.Enqueue(publication.Data.GetProperty("seq").GetInt64());
            return Task.CompletedTask;
        });

        var first = (await CreateMemberAsync(a, "x1"))["seq"]!.GetValue<long>();   // the next change: from memory
        var other = (await CreateMemberAsync(b, "x2"))["seq"]!.GetValue<long>();   // committed by node B: A is not told
        var third = (await CreateMemberAsync(a, "x3"))["seq"]!.GetValue<long>();   // after a gap: A reads the log
        await nodeA.Services.GetRequiredService<EntityChangeFeed>().WaitPublishedAsync("demo", third, TimeSpan.FromSeconds(10));

        Assert.Equal([first, other, third], pushed.ToArray());
        Assert.Equal(["memory", "log"], sources.ToArray());
    }

    [Fact]
    public async Task A_node_that_wrote_an_entity_last_never_overwrites_a_later_edit_made_on_another_node()
    {
        var (a, b, version) = await TwoNodesAndAdasVersionAsync();
        using var _a = a;
        using var _b = b;

        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(a, Ada, version, """{"role":"Analyst"}""")).StatusCode);     // A keeps ada as it wrote it
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(b, Ada, version + 1, """{"email":"ada@b.example"}""")).StatusCode);
        var third = await PatchAsync(a, Ada, version + 1, """{"bio":"Notes"}""");                                       // decided on A's old row first

        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        var fields = (await ReadAsync(await b.GetAsync(Ada)))["fields"]!;
        Assert.Equal(("Analyst", "ada@b.example", "Notes"), (fields["role"]!.GetValue<string>(), fields["email"]!.GetValue<string>(), fields["bio"]!.GetValue<string>()));
        Assert.Equal(version + 3, (await ReadAsync(third))["entity"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_edit_that_would_write_nothing_on_the_row_a_node_last_wrote_is_decided_on_the_current_row()
    {
        var (a, b, version) = await TwoNodesAndAdasVersionAsync();
        using var _a = a;
        using var _b = b;
        await PatchAsync(a, Ada, version, """{"bio":"first"}""");
        await PatchAsync(b, Ada, version + 1, """{"bio":"second"}""");

        // On A's last row (version + 1) this base version does not exist yet (400) — on the current row it is a no-op.
        var response = await PatchAsync(a, Ada, version + 2, """{"bio":"second"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadAsync(response);
        Assert.Equal(("no-change", version + 2), (body["status"]!.GetValue<string>(), body["entity"]!["version"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Entity_types_and_per_tenant_fields_come_from_configuration()
    {
        var app = Start(new()
        {
            ["Entities:Definitions:faq:Fields:0:Name"] = "question",
            ["Entities:Definitions:faq:Fields:0:Required"] = "true",
            ["Entities:Definitions:faq:Fields:0:MaxLength"] = "10",
            ["Entities:Definitions:faq:Fields:1:Name"] = "answer",
            ["Entities:Definitions:faq:Fields:2:Name"] = "views",
            ["Entities:Definitions:faq:Fields:2:Type"] = "Integer",
            ["Entities:Definitions:faq:PreservedFields:0"] = "views",
            ["Entities:Overrides:demo:team:ExtraFields:0:Name"] = "pronouns",
        });
        using var client = Client(app);

        var tenant = await ReadAsync(await client.GetAsync("/api/tenants/demo"));
        Assert.Contains("faq", tenant["entityTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/tenants/demo/entities/faq", Json("""{"id":"q1","fields":{"question":"Why?","views":7}}"""))).StatusCode);
        var patched = await ReadAsync(await PatchAsync(client, "/api/tenants/demo/entities/faq/q1", 1, """{"answer":"Because","views":0}"""));
        Assert.Equal(7, patched["entity"]!["fields"]!["views"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.BadRequest, (await PatchAsync(client, "/api/tenants/demo/entities/faq/q1", 2, """{"question":"Far too long a question"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(client, "/api/tenants/demo/entities/team/ada", 1, """{"pronouns":"she/her"}""")).StatusCode);
    }

    [Fact]
    public async Task A_viewer_cannot_write()
    {
        var app = Start();
        using var viewer = Client(app, role: "viewer");
        var response = await viewer.PostAsync("/api/tenants/demo/entities/team", Json("""{"fields":{"name":"X"}}"""));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await ChangeCountAsync(app) - 3); // only the 3 seeded members
    }

    public static TheoryData<string, string, string, HttpStatusCode, string> BadInputs => new()
    {
        { "POST", "/api/tenants/demo/entities/unicorns", """{"fields":{"name":"x"}}""", HttpStatusCode.NotFound, "type" },
        { "POST", "/api/tenants/demo/entities/team", """{"fields":{"name":42}}""", HttpStatusCode.BadRequest, "name" },
        { "POST", "/api/tenants/demo/entities/team", """{"fields":{"role":"x"}}""", HttpStatusCode.BadRequest, "name" },
        { "POST", "/api/tenants/demo/entities/team", """{"fields":{"name":"x","shoeSize":44}}""", HttpStatusCode.BadRequest, "shoeSize" },
        { "POST", "/api/tenants/demo/entities/team", "{\"fields\":{\"name\":\"x\"", HttpStatusCode.BadRequest, "body" },
        { "POST", "/api/tenants/demo/entities/team", """[1,2]""", HttpStatusCode.BadRequest, "body" },
        { "POST", "/api/tenants/demo/entities/team", """{"id":"../etc","fields":{"name":"x"}}""", HttpStatusCode.BadRequest, "id" },
        { "POST", "/api/tenants/demo/entities/team", "{\"fields\":{\"name\":\"" + new string('x', 201) + "\"}}", HttpStatusCode.BadRequest, "name" },
        { "PATCH", "/api/tenants/demo/entities/team/ada", """{"fields":{"role":"x"}}""", HttpStatusCode.BadRequest, "baseVersion" },
        { "PATCH", "/api/tenants/demo/entities/team/ada", """{"baseVersion":"one","fields":{"role":"x"}}""", HttpStatusCode.BadRequest, "baseVersion" },
        { "PATCH", "/api/tenants/demo/entities/team/ada", """{"baseVersion":99,"fields":{"role":"x"}}""", HttpStatusCode.BadRequest, "baseVersion" },
        { "PATCH", "/api/tenants/demo/entities/team/ada", """{"baseVersion":1,"fields":{"order":1.5}}""", HttpStatusCode.BadRequest, "order" },
        { "PATCH", "/api/tenants/demo/entities/team/ada", """{"baseVersion":1,"fields":{"name":null}}""", HttpStatusCode.BadRequest, "name" },
        { "PATCH", "/api/tenants/demo/entities/team/nobody", """{"baseVersion":1,"fields":{"role":"x"}}""", HttpStatusCode.NotFound, "id" },
        { "PATCH", "/api/tenants/acme/entities/team/ada", """{"baseVersion":1,"fields":{"role":"x"}}""", HttpStatusCode.Forbidden, "tenant" },
        { "GET", "/api/tenants/demo/entities/team/changes?cursor=not-a-cursor", "", HttpStatusCode.BadRequest, "cursor" },
        { "GET", "/api/tenants/demo/entities/team?limit=100000", "", HttpStatusCode.BadRequest, "limit" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_gets_a_4xx_problem_naming_the_field_and_writes_nothing(string method, string path, string body, HttpStatusCode expected, string field)
    {
        var app = Start();
        using var client = Client(app);
        var before = await ChangeCountAsync(app);

        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET")
        {
            request.Content = Json(body);
        }

        var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadAsync(response);
        var named = problem["field"]?.GetValue<string>() == field || (problem["errors"] is JsonObject errors && errors.ContainsKey(field));
        Assert.True(named, $"the problem should name '{field}': {problem.ToJsonString()}");
        Assert.Equal(before, await ChangeCountAsync(app));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_writes_nothing()
    {
        var app = Start(new() { ["Limits:MaxRequestBodyBytes"] = "2048" });
        using var client = Client(app);
        var before = await ChangeCountAsync(app);

        var response = await client.PostAsync("/api/tenants/demo/entities/team", Json("{\"fields\":{\"name\":\"x\",\"bio\":\"" + new string('b', 3000) + "\"}}"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await ChangeCountAsync(app));
    }

    [Fact]
    public async Task A_non_json_content_type_is_415()
    {
        var app = Start();
        using var client = Client(app);
        var response = await client.PostAsync("/api/tenants/demo/entities/team", new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

}

public sealed class SqliteEntitiesApiTests : EntitiesApiSuite
{
    protected override Backend Backend => Backend.Sqlite;

    /// <summary>
    /// SQLite edits are plain statements (SqliteEntityStatements), the sync batch path and the admin go through EF
    /// Core: both must store the same values the same way (types, timestamp text), or EF Core misreads or misorders
    /// the rows of the other. Same edits through both paths on one file, stored columns compared.
    /// </summary>
    [Fact]
    public async Task Plain_statement_edits_store_rows_and_changes_exactly_as_EF_Core_does()
    {
        var plain = Start();
        var ef = Start(new() { ["Entities:OneStatementEdits"] = "false" });
        foreach (var (app, id) in new[] { (plain, "row-written"), (ef, "row-written-ef") })
        {
            using var client = Client(app);
            await CreateMemberAsync(client, id, extra: "\"order\":3");
            Assert.Equal(HttpStatusCode.OK, (await PatchAsync(client, $"/api/tenants/demo/entities/team/{id}", 1, """{"role":"Lead","bio":null}""")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/tenants/demo/entities/team/{id}")).StatusCode);
        }

        await using var scope = plain.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var entities = await StoredAsync(db, "SELECT * FROM entities WHERE tenant_id = 'demo' AND id = $id", "row-written");
        var changes = await StoredAsync(db, "SELECT * FROM changes WHERE tenant_id = 'demo' AND entity_id = $id ORDER BY seq", "row-written");
        Assert.Equal(await StoredAsync(db, "SELECT * FROM entities WHERE tenant_id = 'demo' AND id = $id", "row-written-ef"), entities);
        Assert.Equal(await StoredAsync(db, "SELECT * FROM changes WHERE tenant_id = 'demo' AND entity_id = $id ORDER BY seq", "row-written-ef"), changes);
        Assert.Single(entities);
        Assert.Equal(3, changes.Count);
        Assert.Contains("deleted=integer:9", entities[0]); // 1, made 9

        // Each row as "column=storage type:value", with the id made common and every run of digits (times, sequence
        // numbers) made 9: what must match is how values are stored, not when.
        static async Task<List<string>> StoredAsync(RealtimeSyncDb db, string sql, string id)
        {
            var connection = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            var parameter = command.CreateParameter();
            parameter.ParameterName = "$id";
            parameter.Value = id;
            command.Parameters.Add(parameter);
            var rows = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var columns = Enumerable.Range(0, reader.FieldCount).Select(i =>
                    $"{reader.GetName(i)}={reader.GetFieldType(i).Name switch { "Int64" => "integer", "String" => "text", "DBNull" => "null", var t => t }}:{reader.GetValue(i)}");
                rows.Add(System.Text.RegularExpressions.Regex.Replace(string.Join(" | ", columns).Replace(id, "ID", StringComparison.Ordinal), "[0-9]+", "9"));
            }

            return rows;
        }
    }
}

public sealed class PostgresEntitiesApiTests : EntitiesApiSuite
{
    protected override Backend Backend => Backend.Postgres;
}
