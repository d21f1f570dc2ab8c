using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Hub.Tests.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Documents;

public sealed class DocumentsHostFixture : IAsyncLifetime
{
    public DocumentsHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await DocumentsHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>The save pipeline through the real host, real s3rver and a Document Server stand-in.</summary>
public sealed class DocumentSaveTests(DocumentsHostFixture fixture) : IClassFixture<DocumentsHostFixture>
{
    private DocumentsHost Host => fixture.Host;

    private static byte[] Bytes(int size) => RandomNumberGenerator.GetBytes(size);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task A_1_6_6_2_session_keeps_the_key_across_force_saves_then_the_final_save_rotates_it_and_s3_holds_the_edited_bytes()
    {
        var original = Bytes(40_000);
        var doc = await Host.UploadAsync(original);
        Host.Record(doc.Id);
        var (callback, key) = await Host.SessionAsync(doc.Id);
        Assert.Equal(doc.Key, key);
        var ds = Host.DocumentServer;

        Assert.Equal(200, (await ds.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 1), Signing.BodyToken)).Status);
        var edits = new[] { Bytes(41_000), Bytes(42_000), Bytes(43_000) };
        var first = await ds.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 6, ds.Serve(edits[0]), "2026-11-21T10:00:00Z", 1), Signing.BodyToken);
        Assert.Equal((200, "{\"error\":0}"), first);
        Assert.Equal(key, (await Host.WaitForVersionAsync(doc.Id, 2)).Key);
        await ds.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 6, ds.Serve(edits[1]), "2026-11-21T10:01:00Z", 1), Signing.HeaderToken);
        var afterSecond = await Host.WaitForVersionAsync(doc.Id, 3);
        Assert.Equal(key, afterSecond.Key); // force-saves keep the key: the editors are still in the same session
        Assert.Equal("editing", afterSecond.Session);

        await ds.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, ds.Serve(edits[2]), "2026-11-21T10:02:00Z"), Signing.BodyToken);
        var final = await Host.WaitForVersionAsync(doc.Id, 4);
        Assert.NotEqual(key, final.Key);
        Assert.Matches("^[0-9a-zA-Z._=-]{1,128}$", final.Key);
        Assert.Equal("closed", final.Session);
        Assert.Equal(Sha(edits[2]), final.Sha256);
        Assert.True(final.Seq > doc.Seq);

        var versions = await Host.VersionsAsync(doc.Id);
        Assert.Equal(["upload", "callback-6", "callback-6", "callback-2"], versions.Select(v => v!["source"]!.GetValue<string>()));
        var store = Host.App.Services.GetRequiredService<IBlobStore>();
        Assert.Equal("s3", store.Kind);
        var expected = new[] { original, edits[0], edits[1], edits[2] };
        for (var i = 0; i < 4; i++)
        {
            await using var blob = await store.GetAsync(versions[i]!["blobKey"]!.GetValue<string>());
            var read = new MemoryStream();
            await blob!.Stream.CopyToAsync(read);
            Assert.Equal(Sha(expected[i]), Sha(read.ToArray()));
            Assert.Equal(Sha(expected[i]), versions[i]!["sha256"]!.GetValue<string>());
        }

        // The editor config now hands out the new key (and the new version's link).
        Assert.Equal(final.Key, (await Host.SessionAsync(doc.Id)).Key);
        var states = Host.States(doc.Id);
        Assert.Equal(["editing", "saving", "saved", "saving", "saved", "saving", "saved"], states);
        Assert.Equal([2, 3, 4], Host.Pushes(doc.Id).Where(p => p.GetProperty("state").GetString() == "saved").Select(p => p.GetProperty("version").GetInt32()));
    }

    [Fact]
    public async Task The_same_callback_delivered_three_times_creates_one_version()
    {
        var doc = await Host.UploadAsync(Bytes(10_000));
        var (callback, key) = await Host.SessionAsync(doc.Id);
        var edited = Bytes(12_000);
        var body = DocumentServerStandIn.Body(key, 2, Host.DocumentServer.Serve(edited), "2026-11-21T11:00:00Z");
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Host.DocumentServer.SendCallbackAsync(callback, body, Signing.BodyToken)));
        Assert.All(answers, a => Assert.Equal((200, "{\"error\":0}"), a));

        await Host.WaitForVersionAsync(doc.Id, 2);
        // Once more after the commit (the key has rotated meanwhile): still acknowledged, still one version.
        Assert.Equal(200, (await Host.DocumentServer.SendCallbackAsync(callback, body, Signing.BodyToken)).Status);
        await Task.Delay(500);
        var versions = await Host.VersionsAsync(doc.Id);
        Assert.Equal(2, versions.Count);
        Assert.Equal(Sha(edited), versions[1]!["sha256"]!.GetValue<string>());
        var diagnostics = await Host.DiagnosticsAsync(doc.Id);
        Assert.Equal(3, diagnostics["callbacks"]!.AsArray().Count(c => c!["outcome"]!.GetValue<string>() == "duplicate"));
    }

    [Fact]
    public async Task Status_4_stores_nothing_and_status_3_without_url_is_recorded_and_pushed_as_a_failure_keeping_the_previous_version()
    {
        var original = Bytes(9_000);
        var doc = await Host.UploadAsync(original);
        Host.Record(doc.Id);
        var (callback, key) = await Host.SessionAsync(doc.Id);

        Assert.Equal(200, (await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 4), Signing.BodyToken)).Status);
        await Host.WaitForPushAsync(doc.Id, p => p.GetProperty("state").GetString() == "closed", "closed");
        Assert.Equal(200, (await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 3, lastSave: "2026-11-21T12:00:00Z"), Signing.BodyToken)).Status);
        var failed = await Host.WaitForPushAsync(doc.Id, p => p.GetProperty("state").GetString() == "failed", "failed");
        Assert.Contains("status 3", failed.GetProperty("error").GetString());
        Assert.Equal(1, failed.GetProperty("version").GetInt32());

        var after = await Host.GetAsync(doc.Id);
        Assert.Equal(1, after.Version);
        Assert.Equal(key, after.Key);
        Assert.Single(await Host.VersionsAsync(doc.Id));
        var content = await Host.Http.GetByteArrayAsync($"/api/tenants/demo/documents/{doc.Id}/content");
        Assert.Equal(original, content);
        var outcomes = (await Host.DiagnosticsAsync(doc.Id))["callbacks"]!.AsArray().Select(c => (c!["status"]!.GetValue<int>(), c["outcome"]!.GetValue<string>())).ToList();
        Assert.Contains((3, "failed"), outcomes);
        Assert.Contains((4, "session"), outcomes);
    }

    [Fact]
    public async Task Forged_missing_or_expired_tokens_get_403_and_nothing_is_fetched_or_stored()
    {
        var doc = await Host.UploadAsync(Bytes(5_000));
        var (callback, key) = await Host.SessionAsync(doc.Id);
        var ds = Host.DocumentServer;
        var downloads = ds.FileDownloads;
        var body = DocumentServerStandIn.Body(key, 2, ds.Serve(Bytes(6_000)), "2026-11-21T13:00:00Z");

        var forged = await ds.SendCallbackAsync(callback, body, Signing.BodyToken, secret: $"not-the-secret-{Guid.NewGuid():N}");
        var forgedHeader = await ds.SendCallbackAsync(callback, body, Signing.HeaderToken, secret: $"not-the-secret-{Guid.NewGuid():N}");
        var missing = await ds.SendCallbackAsync(callback, body, Signing.None);
        var expired = await ds.SendCallbackAsync(callback, body, Signing.BodyToken, lifetime: TimeSpan.FromMinutes(5), issued: DateTime.UtcNow.AddHours(-1));
        foreach (var (answer, field) in new[] { (forged, "token"), (forgedHeader, "Authorization"), (missing, "token"), (expired, "token") })
        {
            Assert.Equal(403, answer.Status);
            Assert.Equal(field, JsonNode.Parse(answer.Body)!["field"]!.GetValue<string>());
        }

        // A tampered body under a valid signature of other content: the signed payload is what counts, and it does not verify.
        var tampered = (JsonObject)body.DeepClone();
        tampered["token"] = ds.Sign(body)[..^4] + "AAAA";
        using var raw = new HttpClient();
        var response = await raw.PostAsync(callback, new StringContent(tampered.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);

        // A callback URL for another document (or tenant) without its signature.
        var guessed = callback.Replace(doc.Id, Guid.NewGuid().ToString("N"), StringComparison.Ordinal);
        Assert.Equal(403, (await ds.SendCallbackAsync(guessed, body, Signing.BodyToken)).Status);

        Assert.Equal(downloads, ds.FileDownloads);
        Assert.Single(await Host.VersionsAsync(doc.Id));
        Assert.Empty((await Host.DiagnosticsAsync(doc.Id))["pendingOrFailedJobs"]!.AsArray());
    }

    [Fact]
    public async Task A_url_on_a_foreign_host_is_refused_and_never_fetched()
    {
        await using var foreign = await DocumentServerStandIn.StartAsync(Host.DocumentServer.Secret);
        var doc = await Host.UploadAsync(Bytes(5_000));
        var (callback, key) = await Host.SessionAsync(doc.Id);
        var answer = await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, foreign.Serve(Bytes(100)), "2026-11-21T14:00:00Z"), Signing.BodyToken);

        Assert.Equal(400, answer.Status);
        Assert.Equal("url", JsonNode.Parse(answer.Body)!["field"]!.GetValue<string>());
        Assert.Equal(0, foreign.FileDownloads);
        Assert.Single(await Host.VersionsAsync(doc.Id));
    }

    [Fact]
    public async Task Content_right_after_saved_serves_the_new_bytes_and_says_which_version()
    {
        var doc = await Host.UploadAsync(Bytes(20_000));
        Host.Record(doc.Id);
        var (callback, key) = await Host.SessionAsync(doc.Id);
        var edited = Bytes(25_000);
        await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, Host.DocumentServer.Serve(edited), "2026-11-21T15:00:00Z"), Signing.BodyToken);
        await Host.WaitForPushAsync(doc.Id, p => p.GetProperty("state").GetString() == "saved", "saved");

        using var response = await Host.Http.GetAsync($"/api/tenants/demo/documents/{doc.Id}/content");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(edited, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("2", response.Headers.GetValues("X-Document-Version").Single());
        Assert.Equal("false", response.Headers.GetValues("X-Document-Unsaved-Edits").Single());
    }

    [Fact]
    public async Task Latest_during_an_open_session_force_saves_first_and_serves_the_new_bytes_keeping_the_key()
    {
        var original = Bytes(20_000);
        var doc = await Host.UploadAsync(original);
        Host.Record(doc.Id);
        var (callback, key) = await Host.SessionAsync(doc.Id);
        await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 1), Signing.BodyToken);
        var unsaved = Bytes(22_000);
        Host.DocumentServer.OpenSession(key, callback, unsaved);

        using (var committed = await Host.Http.GetAsync($"/api/tenants/demo/documents/{doc.Id}/content"))
        {
            Assert.Equal(original, await committed.Content.ReadAsByteArrayAsync());
            Assert.Equal("true", committed.Headers.GetValues("X-Document-Unsaved-Edits").Single());
        }

        using var latest = await Host.Http.GetAsync($"/api/tenants/demo/documents/{doc.Id}/content?latest=true");
        Assert.Equal(HttpStatusCode.OK, latest.StatusCode);
        Assert.Equal(unsaved, await latest.Content.ReadAsByteArrayAsync());
        Assert.Equal("2", latest.Headers.GetValues("X-Document-Version").Single());
        Assert.Equal("false", latest.Headers.GetValues("X-Document-Unsaved-Edits").Single());
        Assert.Equal(key, (await Host.GetAsync(doc.Id)).Key);
        Assert.Contains("forcesave-requested", Host.States(doc.Id));
        var command = Host.DocumentServer.Commands.Last(c => c["key"]?.GetValue<string>() == key); // the readiness probe sends keyless version commands too
        Assert.Equal("forcesave", command["c"]!.GetValue<string>());

        // Nothing new to save: Document Server answers error 4, which is benign.
        using var forced = await Host.Http.PostAsync($"/api/tenants/demo/documents/{doc.Id}/forcesave", null);
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.Equal("nothing-to-save", (await forced.Content.ReadFromJsonAsync<JsonObject>())!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_node_signalr_subscriber_sees_saving_then_saved_with_the_version()
    {
        var doc = await Host.UploadAsync(Bytes(8_000));
        var channel = $"demo/documents/{doc.Id}";
        await using var subscriber = NodeSubscriber.Start(new Uri(Host.App.Address, "/hubs/sync"), Host.Token("reader", "viewer"), [channel]);
        await subscriber.WaitForEventAsync("subscribed", "the document channel subscription");
        var (callback, key) = await Host.SessionAsync(doc.Id);
        await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, Host.DocumentServer.Serve(Bytes(9_000)), "2026-11-21T16:00:00Z"), Signing.BodyToken);

        var saved = await subscriber.WaitForAsync(e => NodeSubscriber.Is(e, "publication") && e.GetProperty("data").GetProperty("state").GetString() == "saved", "saved");
        Assert.Equal(2, saved.GetProperty("data").GetProperty("version").GetInt32());
        Assert.Equal("document.save-status", saved.GetProperty("type").GetString());
        var states = subscriber.Publications.Select(p => p.GetProperty("data").GetProperty("state").GetString()).ToList();
        Assert.Equal(["saving", "saved"], states);
    }

    [Fact]
    public async Task Bad_input_gets_problem_details_naming_the_field_and_changes_nothing()
    {
        var doc = await Host.UploadAsync(Bytes(1_000));
        var (callback, key) = await Host.SessionAsync(doc.Id);

        using var noFile = await Host.Http.PostAsync("/api/tenants/demo/documents", new MultipartFormDataContent { { new StringContent("x"), "other" } });
        Assert.Equal((HttpStatusCode.BadRequest, "file"), (noFile.StatusCode, await FieldAsync(noFile)));
        using var json = await Host.Http.PostAsync("/api/tenants/demo/documents", JsonContent.Create(new { file = "x" }));
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, "body"), (json.StatusCode, await FieldAsync(json)));
        using var foreignTenant = await Host.Http.GetAsync($"/api/tenants/other/documents/{doc.Id}");
        Assert.Equal((HttpStatusCode.Forbidden, "tenant"), (foreignTenant.StatusCode, await FieldAsync(foreignTenant)));
        using var unknown = await Host.Http.GetAsync($"/api/tenants/demo/documents/{Guid.NewGuid():N}/diagnostics");
        Assert.Equal((HttpStatusCode.NotFound, "id"), (unknown.StatusCode, await FieldAsync(unknown)));
        using var expiry = await Host.Http.GetAsync($"/api/tenants/demo/documents/{doc.Id}/content?redirect=true&expiresIn=999999");
        Assert.Equal((HttpStatusCode.BadRequest, "expiresIn"), (expiry.StatusCode, await FieldAsync(expiry)));
        using var viewer = new HttpClient { BaseAddress = Host.App.Address };
        viewer.DefaultRequestHeaders.Authorization = new("Bearer", Host.Token("vic", "viewer"));
        using var viewerDelete = await viewer.DeleteAsync($"/api/tenants/demo/documents/{doc.Id}");
        Assert.Equal((HttpStatusCode.Forbidden, "role"), (viewerDelete.StatusCode, await FieldAsync(viewerDelete)));

        using var raw = new HttpClient();
        using var malformed = await raw.PostAsync(callback, new StringContent("{\"key\":", Encoding.UTF8, "application/json"));
        Assert.Equal((HttpStatusCode.BadRequest, "body"), (malformed.StatusCode, await FieldAsync(malformed)));
        var wrongType = DocumentServerStandIn.Body(key, 2);
        wrongType["status"] = "two";
        Assert.Equal(400, (await Host.DocumentServer.SendCallbackAsync(callback, wrongType, Signing.BodyToken)).Status);
        var staleKey = await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body("not-the-key", 1), Signing.BodyToken);
        Assert.Equal(400, staleKey.Status);
        Assert.Equal("key", JsonNode.Parse(staleKey.Body)!["field"]!.GetValue<string>());

        Assert.Equal(1, (await Host.GetAsync(doc.Id)).Version);
    }

    [Fact]
    public async Task Soft_delete_keeps_a_tombstone_with_a_newer_seq_and_hides_the_document()
    {
        var doc = await Host.UploadAsync(Bytes(1_000));
        using var deleted = await Host.Http.DeleteAsync($"/api/tenants/demo/documents/{doc.Id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await Host.Http.GetAsync($"/api/tenants/demo/documents/{doc.Id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var all = (await Host.Http.GetFromJsonAsync<List<DocumentInfo>>("/api/tenants/demo/documents?includeDeleted=true", JsonSerializerOptions.Web))!;
        var tombstone = all.Single(d => d.Id == doc.Id);
        Assert.True(tombstone.Deleted);
        Assert.True(tombstone.Seq > doc.Seq);
    }

    [Fact]
    public async Task The_editor_config_links_the_committed_bytes_and_is_signed_with_the_shared_secret()
    {
        var original = Bytes(12_000);
        var doc = await Host.UploadAsync(original, "budget.xlsx");
        var config = await Host.EditorConfigAsync(doc.Id);

        Assert.Equal(doc.Key, config["document"]!["key"]!.GetValue<string>());
        Assert.Equal("xlsx", config["document"]!["fileType"]!.GetValue<string>());
        Assert.Equal("cell", config["documentType"]!.GetValue<string>());
        Assert.Equal("edit", config["editorConfig"]!["mode"]!.GetValue<string>());
        Assert.Equal("alice", config["editorConfig"]!["user"]!["id"]!.GetValue<string>());
        using (var anonymous = new HttpClient())
        {
            // What Document Server does with the link: no credentials, just the signed URL.
            Assert.Equal(original, await anonymous.GetByteArrayAsync(config["document"]!["url"]!.GetValue<string>()));
        }

        var validated = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(config["token"]!.GetValue<string>(), new Microsoft.IdentityModel.Tokens.TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            IssuerSigningKey = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Encoding.UTF8.GetBytes(Host.DocumentServer.Secret)),
        });
        Assert.True(validated.IsValid, validated.Exception?.Message);
        Assert.Equal(doc.Key, JsonNode.Parse(JsonSerializer.Serialize(validated.Claims["document"]))!["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Restoring_a_version_makes_its_bytes_current_as_a_new_version_with_a_new_key()
    {
        var original = Bytes(7_000);
        var doc = await Host.UploadAsync(original);
        var (callback, key) = await Host.SessionAsync(doc.Id);
        await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, Host.DocumentServer.Serve(Bytes(8_000)), "2026-11-21T21:00:00Z"), Signing.BodyToken);
        var edited = await Host.WaitForVersionAsync(doc.Id, 2);

        using var restored = await Host.Http.PostAsync($"/api/tenants/demo/documents/{doc.Id}/versions/1/restore", null);
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        var current = await Host.GetAsync(doc.Id);
        Assert.Equal(3, current.Version);
        Assert.Equal(Sha(original), current.Sha256);
        Assert.NotEqual(edited.Key, current.Key);
        Assert.Equal("restore-v1", (await Host.VersionsAsync(doc.Id))[2]!["source"]!.GetValue<string>());
        Assert.Equal(original, await Host.Http.GetByteArrayAsync($"/api/tenants/demo/documents/{doc.Id}/content"));
        using var missing = await Host.Http.PostAsync($"/api/tenants/demo/documents/{doc.Id}/versions/9/restore", null);
        Assert.Equal((HttpStatusCode.NotFound, "version"), (missing.StatusCode, await FieldAsync(missing)));
    }

    [Fact]
    public async Task Edits_saved_under_the_key_of_a_session_opened_before_a_restore_are_kept_as_a_new_version()
    {
        // Editors open the document (key K1); meanwhile someone restores an older version, which gives the
        // document a new key. The open session still saves under K1: those edits must not be refused (Document
        // Server does not retry a 4xx, so refusing would lose them).
        var original = Bytes(6_000);
        var doc = await Host.UploadAsync(original);
        var (callback, key) = await Host.SessionAsync(doc.Id);
        Assert.Equal(200, (await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 1), Signing.BodyToken)).Status);
        using (var restored = await Host.Http.PostAsync($"/api/tenants/demo/documents/{doc.Id}/versions/1/restore", null))
        {
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        }

        Assert.NotEqual(key, (await Host.GetAsync(doc.Id)).Key);
        var edited = Bytes(6_500);
        var answer = await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, Host.DocumentServer.Serve(edited), "2026-11-21T22:00:00Z"), Signing.BodyToken);
        Assert.Equal((200, "{\"error\":0}"), answer);
        var saved = await Host.WaitForVersionAsync(doc.Id, 3);
        Assert.Equal(Sha(edited), saved.Sha256);
        Assert.Equal(edited, await Host.Http.GetByteArrayAsync($"/api/tenants/demo/documents/{doc.Id}/content"));

        // A key this document never had is still refused.
        var foreign = await Host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body("never-issued-key", 2, Host.DocumentServer.Serve(Bytes(100)), "2026-11-21T22:01:00Z"), Signing.BodyToken);
        Assert.Equal(400, foreign.Status);
        Assert.Equal(3, (await Host.VersionsAsync(doc.Id)).Count);
    }

    [Fact]
    public async Task Another_tenants_token_cannot_see_or_change_a_document_even_with_its_id()
    {
        var doc = await Host.UploadAsync(Bytes(3_000));
        using var other = new HttpClient { BaseAddress = Host.App.Address };
        other.DefaultRequestHeaders.Authorization = new("Bearer", Host.Token("mallory", "admin", tenant: "acme"));

        using var viaOwnTenant = await other.GetAsync($"/api/tenants/acme/documents/{doc.Id}/content");
        Assert.Equal((HttpStatusCode.NotFound, "id"), (viaOwnTenant.StatusCode, await FieldAsync(viaOwnTenant)));
        using var viaVictim = await other.DeleteAsync($"/api/tenants/demo/documents/{doc.Id}");
        Assert.Equal((HttpStatusCode.Forbidden, "tenant"), (viaVictim.StatusCode, await FieldAsync(viaVictim)));
        using var forceSave = await other.PostAsync($"/api/tenants/acme/documents/{doc.Id}/forcesave", null);
        Assert.Equal(HttpStatusCode.NotFound, forceSave.StatusCode);
        Assert.False((await Host.GetAsync(doc.Id)).Deleted);
    }

    [Fact]
    public async Task Force_save_without_an_open_session_has_nothing_to_save()
    {
        var doc = await Host.UploadAsync(Bytes(3_000));
        using var forced = await Host.Http.PostAsync($"/api/tenants/demo/documents/{doc.Id}/forcesave", null);
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.Equal("nothing-to-save", (await forced.Content.ReadFromJsonAsync<JsonObject>())!["outcome"]!.GetValue<string>());
        Assert.Equal(1, (await Host.GetAsync(doc.Id)).Version);
    }

    private static async Task<string?> FieldAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(body)?["field"]?.GetValue<string>();
    }
}
