using System.Net;
using System.Text.Json.Nodes;
using RealtimeSync.Testing;

namespace RealtimeSync.Client.Tests;

/// <summary>The rs CLI end to end: a real child process against the real host.</summary>
public abstract class CliSuite : ClientTestBase
{
    private static Dictionary<string, string> Env(Uri server, string token, string data) =>
        new() { ["RS_SERVER"] = server.ToString(), ["RS_TOKEN"] = token, ["RS_DATA"] = data };

    private static async Task<RsResult> OkAsync(Dictionary<string, string> env, params string[] args)
    {
        var result = await RsProcess.RunAsync(env, args);
        Assert.True(result.ExitCode == 0, $"rs {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        return result;
    }

    [Fact]
    public async Task A_newcomer_edits_offline_and_syncs_when_the_server_is_back()
    {
        var app = Start(realServer: true);
        await using var proxy = new SwitchableProxy(DeadAddress());
        var env = Env(proxy.Address, Token(app, "laptop-1"), Path.Combine(Folder, "rs"));

        await OkAsync(env, "create", "team", "nia", "name=Nia", "role=Dev", "joinDate=2021-03-01", "employeeId=E-9");
        await OkAsync(env, "set", "team", "nia", "role=Lead");
        await OkAsync(env, "create", "team", "bob", "name=Bob", "role=Dev", "joinDate=2021-03-01", "employeeId=E-8");
        await OkAsync(env, "delete", "team", "bob");
        var outbox = await OkAsync(env, "outbox");
        var offline = await RsProcess.RunAsync(env, "push");
        var before = JsonNode.Parse((await OkAsync(env, "status")).Stdout)!;

        Assert.Equal(4, outbox.Lines.Length);
        Assert.All(outbox.Lines, l => Assert.False(string.IsNullOrEmpty((string?)JsonNode.Parse(l)!["eventId"])));
        Assert.True(offline.ExitCode == 1, $"exit {offline.ExitCode}: {offline.Stderr}");
        Assert.Contains("unreachable", offline.Stderr);
        Assert.Equal(4, (int)before["pending"]!);

        proxy.SwitchTo(app.Address);
        await OkAsync(env, "sync");
        await OkAsync(env, "pull");
        await OkAsync(env, "push");
        var after = JsonNode.Parse((await OkAsync(env, "status")).Stdout)!;
        var list = await OkAsync(env, "list", "team");
        var nia = JsonNode.Parse((await OkAsync(env, "get", "team", "nia")).Stdout)!;

        Assert.Equal((0, 0, "idle"), ((int)after["pending"]!, (int)after["conflicts"]!, (string?)after["state"]));
        Assert.NotNull((string?)after["lastSync"]);
        Assert.Contains(list.Lines, l => (string?)JsonNode.Parse(l)!["id"] == "nia");
        Assert.DoesNotContain(list.Lines, l => (string?)JsonNode.Parse(l)!["id"] == "bob");
        Assert.Equal("Lead", (string?)nia["role"]);
        var server = (await ServerAsync(app, "nia"))!;
        Assert.True(JsonNode.DeepEquals(server.Fields, nia), server.Fields.ToJsonString());
        Assert.True((await ServerAsync(app, "bob"))!.Deleted);
        Assert.Equal(4, await ChangesFromAsync(app, "laptop-1"));
    }

    [Fact]
    public async Task A_conflict_is_listed_and_resolved_from_the_command_line()
    {
        var app = Start(realServer: true);
        var env = Env(app.Address, Token(app, "laptop-1"), Path.Combine(Folder, "rs"));
        var phone = await OpenAsync(app.Address, Token(app, "phone-1"), "phone");
        await OkAsync(env, "create", "team", "zoe", "name=Zoe", "role=Dev", "joinDate=2021-03-01", "employeeId=E-7");
        await OkAsync(env, "sync");
        await phone.SyncAsync();
        await phone.UpdateAsync("team", "zoe", Fields("""{"role":"Lead"}"""));
        await phone.SyncAsync();

        await OkAsync(env, "set", "team", "zoe", "role=Intern");
        await OkAsync(env, "sync");
        var conflicts = await OkAsync(env, "conflicts");
        var conflict = JsonNode.Parse(Assert.Single(conflicts.Lines))!;
        Assert.Equal(("Intern", "Lead"), ((string?)conflict["local"]!["role"], (string?)conflict["server"]!["role"]));
        await OkAsync(env, "resolve", (string)conflict["eventId"]!, "keep-local");
        await OkAsync(env, "sync");
        await phone.SyncAsync();

        Assert.Empty((await OkAsync(env, "conflicts")).Lines);
        Assert.Equal("Intern", (string?)(await ServerAsync(app, "zoe"))!.Fields["role"]);
        Assert.Equal("Intern", (string?)JsonNode.Parse((await OkAsync(env, "get", "team", "zoe")).Stdout)!["role"]);
        await AssertSameAsync(app, phone, "zoe");
    }

    [Fact]
    public async Task Watch_prints_publications_as_json_lines()
    {
        var app = Start(realServer: true);
        var env = Env(app.Address, Token(app, "watcher-1", role: "viewer"), Path.Combine(Folder, "rs"));
        var writer = await OpenAsync(app.Address, Token(app, "laptop-1"), "writer");
        var subscriptions = app.Services.GetService(typeof(RealtimeSync.Hub.Realtime.ChannelSubscriptions)) as RealtimeSync.Hub.Realtime.ChannelSubscriptions;
        using var watch = RsProcess.Start(env, "watch", "demo/entities/team", "--count", "2");
        var stdout = watch.StandardOutput.ReadToEndAsync();
        var stderr = watch.StandardError.ReadToEndAsync();
        await EventuallyAsync(() => Task.FromResult(subscriptions!.Channels.Contains("demo/entities/team") || watch.HasExited), "rs watch to subscribe");

        await writer.CreateAsync("team", "w1", Member("W1", id: "w1"));
        await writer.CreateAsync("team", "w2", Member("W2", id: "w2"));
        await writer.PushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await watch.WaitForExitAsync(timeout.Token);

        Assert.True(watch.ExitCode == 0, await stderr);
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal("demo/entities/team", (string?)l["channel"]));
        Assert.Equal((long)lines[0]["offset"]! + 1, (long)lines[1]["offset"]!);
    }

    [Fact]
    public async Task Docs_sync_mirrors_the_documents_and_docs_put_uploads_a_version_or_exits_1_when_stale()
    {
        var app = Start(realServer: true);
        var token = Token(app, "laptop-1");
        var env = Env(app.Address, token, Path.Combine(Folder, "rs"));
        using var http = new HttpClient { BaseAddress = app.Address };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var form = new MultipartFormDataContent { { new ByteArrayContent("v1"u8.ToArray()), "file", "plan.txt" } };
        var id = (string)JsonNode.Parse(await (await http.PostAsync("/api/tenants/demo/documents", form)).Content.ReadAsStringAsync())!["id"]!;
        var folder = Path.Combine(Folder, "docs");

        var mirrored = JsonNode.Parse((await OkAsync(env, "docs", "sync", folder)).Stdout)!;
        var file = Path.Combine(folder, id, "plan.txt");
        File.WriteAllText(file, "v2 from the command line");
        var put = JsonNode.Parse((await OkAsync(env, "docs", "put", file, "--id", id)).Stdout)!;
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsync($"/api/tenants/demo/documents/{id}/content?baseVersion=2", new ByteArrayContent("v3 from someone else"u8.ToArray()))).StatusCode);
        File.WriteAllText(file, "v3 from the command line, made on v2");
        var stale = await RsProcess.RunAsync(env, "docs", "put", file, "--id", id);
        await OkAsync(env, "docs", "sync", folder);

        Assert.Equal(1, (int)mirrored["downloaded"]!);
        Assert.Equal(2, (int)put["version"]!);
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("Stale base version", stale.Stderr);
        Assert.Contains("version 3", stale.Stderr);
        Assert.Equal("v3 from someone else", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("docs put")]
    [InlineData("docs frob x")]
    [InlineData("")]
    [InlineData("frobnicate")]
    [InlineData("create team")]
    [InlineData("set team zoe novalue")]
    [InlineData("resolve e1 maybe")]
    [InlineData("resolve e1 merge")]
    [InlineData("get team")]
    [InlineData("pull --verbose")]
    public async Task A_usage_error_exits_2_and_changes_nothing(string args)
    {
        var app = Start(realServer: true);
        var data = Path.Combine(Folder, "rs");
        var result = await RsProcess.RunAsync(Env(app.Address, Token(app, "laptop-1"), data), args.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage", result.Stderr);
        Assert.False(Directory.Exists(data));
    }

    [Fact]
    public async Task Without_a_server_the_command_is_a_usage_error()
    {
        var app = Start(realServer: true);
        var result = await RsProcess.RunAsync(new Dictionary<string, string> { ["RS_TOKEN"] = Token(app, "laptop-1"), ["RS_DATA"] = Path.Combine(Folder, "rs") }, "status");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--server", result.Stderr);
    }

    [Fact]
    public async Task A_server_refusal_prints_its_problem_detail_and_exits_1()
    {
        var app = Start(realServer: true);
        var env = Env(app.Address, Token(app, "laptop-1"), Path.Combine(Folder, "rs"));
        var viewer = Env(app.Address, Token(app, "reader-1", role: "viewer"), Path.Combine(Folder, "viewer"));
        await OkAsync(viewer, "create", "team", "zoe", "name=Zoe", "role=Dev", "joinDate=2021-03-01", "employeeId=E-7");

        var missing = await RsProcess.RunAsync(env, "resolve", "no-such-event", "accept-server");
        var readOnly = await RsProcess.RunAsync(viewer, "push");

        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No such conflict", missing.Stderr);
        Assert.Contains("no-such-event", missing.Stderr);
        Assert.Equal(1, readOnly.ExitCode);
        Assert.Contains("Read-only role", readOnly.Stderr);
        Assert.Null(await ServerAsync(app, "zoe"));
    }
}

public sealed class SqliteCliTests : CliSuite
{
    protected override Backend Backend => Backend.Sqlite;
}

public sealed class PostgresCliTests : CliSuite
{
    protected override Backend Backend => Backend.Postgres;
}
