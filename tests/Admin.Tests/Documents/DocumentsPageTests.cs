using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;
using RealtimeSync.Shared.Documents;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests.Documents;

/// <summary>
/// The backoffice Documents pages in real Chromium against the real host (PostgreSQL, Redis, S3 on s3rver), with
/// the Document Server stand-in sending callbacks and answering force-saves.
/// </summary>
public sealed class DocumentsPageTests(DocumentsPageFixture fixture) : IClassFixture<DocumentsPageFixture>
{
    private DocumentServerStandIn DocumentServer => fixture.DocumentServer;

    private static string UniqueName(string extension = "docx") => $"file-{Guid.NewGuid():N}.{extension}";

    [Fact]
    public async Task A_file_uploaded_on_the_page_is_listed_with_version_1_and_stored_byte_for_byte()
    {
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", "/documents");
        await using var _ = context;
        var bytes = RandomNumberGenerator.GetBytes(40_000);
        var name = UniqueName();

        await DocumentsPageFixture.ChooseFileAsync(page, new FilePayload { Name = name, MimeType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Buffer = bytes });

        var link = page.Locator($"[data-filename='{name}']");
        await Assertions.Expect(link).ToBeVisibleAsync();
        var id = (await link.GetAttributeAsync("data-testid"))!["open-".Length..];
        Assert.Equal("1", await page.TextContentAsync($"[data-testid=version-{id}]"));
        Assert.Equal("idle", await page.GetAttributeAsync($"[data-testid=status-{id}]", "data-state"));
        var (sha, version) = await fixture.ContentAsync(id);
        Assert.Equal(1, version);
        Assert.Equal(DocumentsPageFixture.Hex(bytes), sha);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_list_says_document_server_answers_the_version_command_with_its_version()
    {
        var (context, page, errors) = await fixture.SignedInPageAsync(DocumentsPageFixture.Editor, "/documents");
        await using var _ = context;
        var status = page.Locator("[data-testid=document-server]");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-reachable", "true");
        await Assertions.Expect(status).ToContainTextAsync($"Document Server {DocumentServerStandIn.Version} answers");
        Assert.Contains(fixture.DocumentServer.Commands, c => c["c"]?.GetValue<string>() == "version");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_file_over_the_upload_limit_or_an_empty_one_is_refused_with_the_reason_and_nothing_is_stored()
    {
        var (context, page, _) = await fixture.SignedInPageAsync(DocumentsPageFixture.Editor, "/documents");
        await using var _1 = context;
        var name = UniqueName();

        await DocumentsPageFixture.ChooseFileAsync(page, new FilePayload { Name = name, MimeType = "application/octet-stream", Buffer = new byte[DocumentsPageFixture.MaxUploadBytes + 1] });

        await Assertions.Expect(page.Locator("[data-testid=upload-error]")).ToContainTextAsync($"{DocumentsPageFixture.MaxUploadBytes} bytes");
        var listed = (await fixture.Api.GetFromJsonAsync<JsonArray>("/api/tenants/demo/documents"))!;
        Assert.DoesNotContain(listed, d => d!["filename"]!.GetValue<string>() == name);
        Assert.Equal(0, await page.Locator($"[data-filename='{name}']").CountAsync());

        var empty = UniqueName();
        await DocumentsPageFixture.ChooseFileAsync(page, new FilePayload { Name = empty, MimeType = "application/octet-stream", Buffer = [] });
        await Assertions.Expect(page.Locator("[data-testid=upload-error]")).ToContainTextAsync("is empty");
        listed = (await fixture.Api.GetFromJsonAsync<JsonArray>("/api/tenants/demo/documents"))!;
        Assert.DoesNotContain(listed, d => d!["filename"]!.GetValue<string>() == empty);
    }

    [Fact]
    public async Task A_status_2_callback_turns_the_row_to_saving_then_saved_v2_without_a_reload()
    {
        var id = await fixture.UploadAsync(RandomNumberGenerator.GetBytes(20_000), UniqueName());
        var (callbackUrl, key) = await fixture.SessionAsync(id);
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", "/documents");
        await using var _ = context;
        var status = page.Locator($"[data-testid=status-{id}]");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "idle");
        await page.EvaluateAsync("() => window.rsSamePage = true");
        // the circuit subscribes right after its first interactive render; the first push proves it is listening
        await DocumentServer.SendCallbackAsync(callbackUrl, DocumentServerStandIn.Body(key, 1), Signing.BodyToken);
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "editing");

        var edited = RandomNumberGenerator.GetBytes(25_000);
        var answer = await DocumentServer.SendCallbackAsync(callbackUrl, DocumentServerStandIn.Body(key, 2, DocumentServer.Serve(edited), "2026-11-21T22:00:00Z"), Signing.BodyToken);

        Assert.Equal(200, answer.Status);
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "saved");
        await Assertions.Expect(page.Locator($"[data-testid=version-{id}]")).ToHaveTextAsync("2");
        await Assertions.Expect(status).ToContainTextAsync("Saved v2");
        Assert.Equal("editing saving saved", await status.GetAttributeAsync("data-history"));
        Assert.True(await page.EvaluateAsync<bool>("() => window.rsSamePage === true"));
        Assert.Equal(DocumentsPageFixture.Hex(edited), (await fixture.ContentAsync(id)).Sha256);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Restoring_v1_creates_v3_whose_bytes_equal_v1()
    {
        var original = RandomNumberGenerator.GetBytes(30_000);
        var id = await fixture.UploadAsync(original, UniqueName());
        var (callbackUrl, key) = await fixture.SessionAsync(id);
        await DocumentServer.SendCallbackAsync(callbackUrl, DocumentServerStandIn.Body(key, 2, DocumentServer.Serve(RandomNumberGenerator.GetBytes(31_000)), "2026-11-21T22:05:00Z"), Signing.BodyToken);
        await fixture.WaitForVersionAsync(id, 2);
        var (context, page, errors) = await fixture.SignedInPageAsync(DocumentsPageFixture.Editor, $"/documents/{id}");
        await using var _ = context;
        await Assertions.Expect(page.Locator("[data-testid=current-version]")).ToHaveTextAsync("2");

        await page.ClickAsync("[data-testid=restore-v1]");
        await page.Locator(".mud-dialog button", new PageLocatorOptions { HasText = "Restore" }).ClickAsync();

        await Assertions.Expect(page.Locator("[data-testid=current-version]")).ToHaveTextAsync("3");
        await Assertions.Expect(page.Locator("[data-testid=version-row][data-version='3']")).ToBeVisibleAsync();
        var (sha, version) = await fixture.ContentAsync(id);
        Assert.Equal(3, version);
        Assert.Equal(DocumentsPageFixture.Hex(original), sha);
        var versions = (await fixture.Api.GetFromJsonAsync<JsonArray>($"/api/tenants/demo/documents/{id}/versions"))!;
        Assert.Equal("restore-v1", versions.Single(v => v!["version"]!.GetValue<int>() == 3)!["source"]!.GetValue<string>());

        // the page's download link serves v1's bytes to the signed-in user
        await using var download = await page.APIRequest.GetAsync($"/backoffice/documents/{id}/versions/1/content");
        Assert.Equal(200, download.Status);
        Assert.Equal(DocumentsPageFixture.Hex(original), DocumentsPageFixture.Hex(await download.BodyAsync()));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Diagnostics_show_the_committed_sha256_read_back_from_storage_and_the_last_callbacks()
    {
        var bytes = RandomNumberGenerator.GetBytes(12_345);
        var id = await fixture.UploadAsync(bytes, UniqueName());
        var (callbackUrl, key) = await fixture.SessionAsync(id);
        await DocumentServer.SendCallbackAsync(callbackUrl, DocumentServerStandIn.Body(key, 1), Signing.BodyToken);
        var (context, page, errors) = await fixture.SignedInPageAsync(DocumentsPageFixture.Viewer, $"/documents/{id}");
        await using var _ = context;

        await Assertions.Expect(page.Locator("[data-testid=diag-sha256]")).ToHaveTextAsync(DocumentsPageFixture.Hex(bytes));
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), await page.TextContentAsync("[data-testid=diag-md5]"));
        Assert.Equal("12345 bytes", await page.TextContentAsync("[data-testid=diag-size]"));
        Assert.Equal("true", await page.GetAttributeAsync("[data-testid=diag-matches]", "data-matches"));
        Assert.Equal(1, await page.Locator("[data-testid=callback][data-status='1'][data-outcome=session]").CountAsync());
        Assert.Equal(1, await page.Locator("[data-testid=no-jobs]").CountAsync());

        // a save arriving while the page is open refreshes the diagnostics to the new committed version
        var edited = RandomNumberGenerator.GetBytes(13_000);
        await DocumentServer.SendCallbackAsync(callbackUrl, DocumentServerStandIn.Body(key, 2, DocumentServer.Serve(edited), "2026-11-21T22:10:00Z"), Signing.BodyToken);
        await Assertions.Expect(page.Locator("[data-testid=diag-sha256]")).ToHaveTextAsync(DocumentsPageFixture.Hex(edited));
        await Assertions.Expect(page.Locator("[data-testid=callback][data-status='2'][data-outcome=spooled]")).ToHaveCountAsync(1);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_viewer_sees_no_upload_restore_or_force_save()
    {
        var id = await fixture.UploadAsync(RandomNumberGenerator.GetBytes(10_000), UniqueName());
        var (callbackUrl, key) = await fixture.SessionAsync(id);
        await DocumentServer.SendCallbackAsync(callbackUrl, DocumentServerStandIn.Body(key, 2, DocumentServer.Serve(RandomNumberGenerator.GetBytes(11_000)), "2026-11-21T22:15:00Z"), Signing.BodyToken);
        await fixture.WaitForVersionAsync(id, 2);
        var (context, page, errors) = await fixture.SignedInPageAsync(DocumentsPageFixture.Viewer, "/documents");
        await using var _ = context;

        await Assertions.Expect(page.Locator($"[data-testid=version-{id}]")).ToHaveTextAsync("2");
        Assert.Equal(0, await page.Locator("[data-testid=upload]").CountAsync());

        await page.ClickAsync($"[data-testid=open-{id}]");
        await Assertions.Expect(page.Locator("[data-testid=version-row][data-version='1']")).ToBeVisibleAsync();
        Assert.Equal(1, await page.Locator("[data-testid=download-v1]").CountAsync());
        Assert.Equal(0, await page.Locator("[data-testid=restore-v1]").CountAsync());
        Assert.Equal(0, await page.Locator("[data-testid=forcesave]").CountAsync());
        await Assertions.Expect(page.Locator("[data-testid=open-editor]")).ToContainTextAsync("View in editor");

        // and the same page for an editor has them
        var (editorContext, editorPage, _) = await fixture.SignedInPageAsync(DocumentsPageFixture.Editor, $"/documents/{id}");
        await using var _2 = editorContext;
        await Assertions.Expect(editorPage.Locator("[data-testid=restore-v1]")).ToBeVisibleAsync();
        Assert.Equal(1, await editorPage.Locator("[data-testid=forcesave]").CountAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Force_save_shows_saved_vN_then_nothing_to_save()
    {
        var id = await fixture.UploadAsync(RandomNumberGenerator.GetBytes(16_000), UniqueName());
        var (callbackUrl, key) = await fixture.SessionAsync(id);
        await DocumentServer.SendCallbackAsync(callbackUrl, DocumentServerStandIn.Body(key, 1), Signing.BodyToken);
        var edited = RandomNumberGenerator.GetBytes(17_000);
        DocumentServer.OpenSession(key, callbackUrl, edited);
        var (context, page, errors) = await fixture.SignedInPageAsync("admin", $"/documents/{id}");
        await using var _ = context;

        await page.ClickAsync("[data-testid=forcesave]");

        var result = page.Locator("[data-testid=forcesave-result]");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-outcome", ForceSaveOutcomes.Committed);
        await Assertions.Expect(result).ToContainTextAsync("Saved v2");
        await Assertions.Expect(page.Locator("[data-testid=current-version]")).ToHaveTextAsync("2");
        var (sha, version) = await fixture.ContentAsync(id);
        Assert.Equal((DocumentsPageFixture.Hex(edited), 2), (sha, version));
        var versions = (await fixture.Api.GetFromJsonAsync<JsonArray>($"/api/tenants/demo/documents/{id}/versions"))!;
        Assert.Equal("callback-6", versions.Single(v => v!["version"]!.GetValue<int>() == 2)!["source"]!.GetValue<string>());

        // the session has no further changes: Document Server answers error 4
        await page.ClickAsync("[data-testid=forcesave]");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-outcome", "nothing-to-save");
        await Assertions.Expect(result).ToContainTextAsync("Nothing to save");
        Assert.Equal("2", await page.TextContentAsync("[data-testid=current-version]"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Open_in_editor_loads_the_document_servers_script_with_the_signed_config_for_the_committed_version()
    {
        var bytes = RandomNumberGenerator.GetBytes(9_000);
        var id = await fixture.UploadAsync(bytes, UniqueName());
        var (apiCallbackUrl, key) = await fixture.SessionAsync(id);
        var (context, page, errors) = await fixture.SignedInPageAsync(DocumentsPageFixture.Editor, $"/documents/{id}");
        await using var _ = context;
        // Document Server's api.js, as the stand-in's: DocsAPI.DocEditor records what it was given
        var script = new Uri(DocumentServer.Address, "web-apps/apps/api/documents/api.js").ToString();
        await page.RouteAsync(script, route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "application/javascript",
            Body = "window.DocsAPI = { DocEditor: function (id, config) { window.rsEditorOpened = { id, config }; this.destroyEditor = () => {}; } };",
        }));

        await page.ClickAsync("[data-testid=open-editor]");

        await Assertions.Expect(page.Locator("[data-testid=document-editor]")).ToHaveAttributeAsync("data-state", "open");
        var opened = JsonNode.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(window.rsEditorOpened)"))!.AsObject();
        Assert.Equal("rs-onlyoffice-editor", opened["id"]!.GetValue<string>());
        var config = opened["config"]!.AsObject();
        Assert.Equal(key, config["document"]!["key"]!.GetValue<string>());
        Assert.Equal("edit", config["editorConfig"]!["mode"]!.GetValue<string>());
        Assert.Equal(DocumentsPageFixture.Editor, config["editorConfig"]!["user"]!["name"]!.GetValue<string>());
        Assert.Equal(new Uri(apiCallbackUrl).PathAndQuery, new Uri(config["editorConfig"]!["callbackUrl"]!.GetValue<string>()).PathAndQuery);

        // the config is signed with the shared secret, and its link serves the committed bytes
        var validated = await new JsonWebTokenHandler().ValidateTokenAsync(config["token"]!.GetValue<string>(), new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(DocumentServer.Secret)),
        });
        Assert.True(validated.IsValid, validated.Exception?.Message);
        using var http = new HttpClient();
        Assert.Equal(DocumentsPageFixture.Hex(bytes), DocumentsPageFixture.Hex(await http.GetByteArrayAsync(config["document"]!["url"]!.GetValue<string>())));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Another_tenants_documents_are_not_listed_shown_or_downloadable()
    {
        var id = await fixture.UploadAsync(RandomNumberGenerator.GetBytes(8_000), UniqueName());
        var (context, page, errors) = await fixture.SignedInPageAsync(DocumentsPageFixture.OtherTenantAdmin, "/documents");
        await using var _ = context;

        Assert.Equal(0, await page.Locator($"[data-testid=open-{id}]").CountAsync());
        await page.GotoAsync($"/documents/{id}");
        await Assertions.Expect(page.Locator("[data-testid=not-found]")).ToBeVisibleAsync();

        await using var download = await page.APIRequest.GetAsync($"/backoffice/documents/{id}/versions/1/content");
        Assert.Equal(404, download.Status);
        Assert.Equal("id", JsonNode.Parse(await download.TextAsync())!["field"]!.GetValue<string>());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_download_link_names_the_bad_version_in_a_problem()
    {
        var id = await fixture.UploadAsync(RandomNumberGenerator.GetBytes(8_000), UniqueName());
        var (context, page, _) = await fixture.SignedInPageAsync(DocumentsPageFixture.Viewer, $"/documents/{id}");
        await using var _1 = context;

        await using var missing = await page.APIRequest.GetAsync($"/backoffice/documents/{id}/versions/7/content");
        Assert.Equal(404, missing.Status);
        Assert.Equal("version", JsonNode.Parse(await missing.TextAsync())!["field"]!.GetValue<string>());
        await using var malformed = await page.APIRequest.GetAsync($"/backoffice/documents/{id}/versions/abc/content");
        Assert.Equal(400, malformed.Status);
        Assert.Equal("version", JsonNode.Parse(await malformed.TextAsync())!["field"]!.GetValue<string>());
    }
}
