using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Documents;

/// <summary>Storage and database outages around a save: acknowledged saves are never lost, unacknowledged ones are retried by Document Server.</summary>
public sealed class OutageTests
{
    [Fact]
    public async Task With_s3_down_a_final_save_is_still_acknowledged_shows_retrying_and_commits_without_loss_when_s3_returns()
    {
        await using var s3 = await PrivateS3rver.StartAsync();
        var settings = s3.Settings();
        settings["Documents:UploadRetryDelayMilliseconds"] = "50";
        settings["Documents:MaxJobRetryDelaySeconds"] = "1";
        settings["Documents:BreakSeconds"] = "1";
        await using var host = await DocumentsHost.StartAsync(settings, s3: false);
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(30_000));
        host.Record(doc.Id);
        var (callback, key) = await host.SessionAsync(doc.Id);

        s3.Stop();
        var edited = RandomNumberGenerator.GetBytes(64_000);
        var answer = await host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, host.DocumentServer.Serve(edited), "2026-11-21T17:00:00Z"), Signing.BodyToken);
        Assert.Equal((200, "{\"error\":0}"), answer); // spooled and recorded: acknowledged even though S3 is down

        var retrying = await host.WaitForPushAsync(doc.Id, p => p.GetProperty("state").GetString() == "retrying", "retrying");
        Assert.True(retrying.GetProperty("attempt").GetInt32() >= 1);
        Assert.False(string.IsNullOrEmpty(retrying.GetProperty("error").GetString()));
        // A worker pass gives up on the upload for now and records why (bounded wait: AWS SDK retries inside each attempt).
        JsonObject during;
        JsonNode pending;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            during = await host.DiagnosticsAsync(doc.Id);
            pending = Assert.Single(during["pendingOrFailedJobs"]!.AsArray())!;
            Assert.Equal("pending", pending["state"]!.GetValue<string>());
            await Task.Delay(100);
        }
        while (pending["lastError"] is null && DateTime.UtcNow < deadline);
        Assert.False(string.IsNullOrEmpty(pending["lastError"]?.GetValue<string>()));
        Assert.Equal(host.App.Services.GetRequiredService<NodeInfo>().NodeId, pending["node"]!.GetValue<string>()); // the node whose spool holds it
        Assert.StartsWith("storage unreachable", during["committed"]!["error"]!.GetValue<string>());

        // The download says the committed version is not the latest while an acknowledged save is still pending
        // (the presigned redirect needs no S3 round trip, so it answers while S3 is down).
        using (var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.App.Address })
        {
            noRedirects.DefaultRequestHeaders.Authorization = host.Http.DefaultRequestHeaders.Authorization;
            using var answerNow = await noRedirects.GetAsync($"/api/tenants/demo/documents/{doc.Id}/content?redirect=true");
            Assert.Equal(HttpStatusCode.Redirect, answerNow.StatusCode);
            Assert.Equal("1", answerNow.Headers.GetValues("X-Document-Version").Single());
            Assert.Equal("true", answerNow.Headers.GetValues("X-Document-Unsaved-Edits").Single());
        }

        Assert.Equal(1, (await host.GetAsync(doc.Id)).Version);

        await s3.StartAgainAsync();
        var saved = await host.WaitForVersionAsync(doc.Id, 2, TimeSpan.FromSeconds(40));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(edited)), saved.Sha256);
        var diagnostics = await host.DiagnosticsAsync(doc.Id);
        Assert.True(diagnostics["committed"]!["matchesDatabase"]!.GetValue<bool>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(edited)), diagnostics["committed"]!["sha256"]!.GetValue<string>());
        Assert.Empty(diagnostics["pendingOrFailedJobs"]!.AsArray());
        var states = host.States(doc.Id);
        Assert.Equal("saving", states[0]);
        Assert.Equal("saved", states[^1]);
        Assert.Contains("retrying", states);
    }

    [Fact]
    public async Task With_the_database_down_a_save_callback_gets_a_5xx_and_nothing_is_acknowledged_then_the_retry_commits_once()
    {
        await using var database = await TestServers.CreatePostgresDatabaseAsync();
        var real = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        await using var proxy = new SwitchableProxy(new Uri($"http://{real.Host}:{real.Port}/"));
        var viaProxy = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = "127.0.0.1", Port = proxy.Address.Port, Pooling = false, Timeout = 3 };
        await using var host = await DocumentsHost.StartAsync(new() { ["ConnectionStrings:Postgres"] = viaProxy.ConnectionString });
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(10_000));
        var (callback, key) = await host.SessionAsync(doc.Id);
        var edited = RandomNumberGenerator.GetBytes(11_000);
        var body = DocumentServerStandIn.Body(key, 2, host.DocumentServer.Serve(edited), "2026-11-21T18:00:00Z");

        proxy.SwitchTo(new Uri($"http://127.0.0.1:{TestServers.FreePort()}/")); // nothing listens there: the database is unreachable
        var refused = await host.DocumentServer.SendCallbackAsync(callback, body, Signing.BodyToken);
        Assert.True(refused.Status >= 500, $"expected a 5xx, got {refused.Status}: {refused.Body}");
        Assert.DoesNotContain("\"error\":0", refused.Body);

        // Document Server retries status 2 after a 5xx; with the database back the edit is stored once.
        proxy.SwitchTo(new Uri($"http://{real.Host}:{real.Port}/"));
        Assert.Equal((200, "{\"error\":0}"), await host.DocumentServer.SendCallbackAsync(callback, body, Signing.BodyToken));
        var saved = await host.WaitForVersionAsync(doc.Id, 2);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(edited)), saved.Sha256);
        Assert.Equal(2, (await host.VersionsAsync(doc.Id)).Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(host.App.DataPath, "spool"), "*.bin")); // the refused attempt left no spool file
    }
    [Fact]
    public async Task When_the_spool_cannot_be_written_a_save_callback_gets_a_5xx_and_no_job_exists()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(5_000));
        var (callback, key) = await host.SessionAsync(doc.Id);

        // A plain file where the spool folder should be: creating the spool file fails like a full or read-only disk.
        var spool = Path.Combine(host.App.DataPath, "spool");
        Directory.Delete(spool, recursive: true);
        await File.WriteAllTextAsync(spool, "not a folder");
        var answer = await host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, host.DocumentServer.Serve(RandomNumberGenerator.GetBytes(6_000)), "2026-11-21T23:00:00Z"), Signing.BodyToken);

        Assert.True(answer.Status >= 500, $"expected a 5xx, got {answer.Status}: {answer.Body}");
        Assert.DoesNotContain("\"error\":0", answer.Body);
        var diagnostics = await host.DiagnosticsAsync(doc.Id);
        Assert.Empty(diagnostics["pendingOrFailedJobs"]!.AsArray());
        Assert.Single(diagnostics["versions"]!.AsArray());
    }

    [Fact]
    public async Task The_same_callback_delivered_to_two_nodes_at_once_creates_one_version()
    {
        await using var database = await TestServers.CreatePostgresDatabaseAsync();
        var shared = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Auth:Jwt:SigningKey"] = $"two-node-signing-key-{Guid.NewGuid():N}", // equal on every node (the callback URL is signed with it)
        };
        await using var nodeA = await DocumentsHost.StartAsync(shared);
        await using var nodeB = await DocumentsHost.StartAsync(new(shared)
        {
            ["OnlyOffice:DocumentServerUrl"] = nodeA.DocumentServer.Address.ToString(),
            ["OnlyOffice:JwtSecret"] = nodeA.DocumentServer.Secret,
        });
        var doc = await nodeA.UploadAsync(RandomNumberGenerator.GetBytes(10_000));
        var (callbackViaA, key) = await nodeA.SessionAsync(doc.Id);
        var callbackViaB = new Uri(nodeB.App.Address, new Uri(callbackViaA).PathAndQuery).ToString();
        var edited = RandomNumberGenerator.GetBytes(12_000);
        var body = DocumentServerStandIn.Body(key, 2, nodeA.DocumentServer.Serve(edited), "2026-11-21T23:30:00Z");

        var answers = await Task.WhenAll(
            nodeA.DocumentServer.SendCallbackAsync(callbackViaA, body, Signing.BodyToken),
            nodeA.DocumentServer.SendCallbackAsync(callbackViaB, body, Signing.BodyToken),
            nodeA.DocumentServer.SendCallbackAsync(callbackViaA, body, Signing.BodyToken),
            nodeA.DocumentServer.SendCallbackAsync(callbackViaB, body, Signing.BodyToken));
        Assert.All(answers, a => Assert.Equal((200, "{\"error\":0}"), a));

        var saved = await nodeB.WaitForVersionAsync(doc.Id, 2);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(edited)), saved.Sha256);
        await Task.Delay(1000); // a second job, had one slipped through, would commit within this
        Assert.Equal(2, (await nodeA.VersionsAsync(doc.Id)).Count);
        Assert.Empty((await nodeA.DiagnosticsAsync(doc.Id))["pendingOrFailedJobs"]!.AsArray());
        foreach (var node in new[] { nodeA, nodeB })
        {
            // The losing duplicates removed their spool files (a node that answered from the idempotency check never made one).
            var spool = Path.Combine(node.App.DataPath, "spool");
            Assert.Empty(Directory.Exists(spool) ? Directory.GetFiles(spool, "*.bin") : []);
        }
    }
}
