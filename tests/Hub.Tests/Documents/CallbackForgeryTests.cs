using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Documents;

/// <summary>Forged ONLYOFFICE callbacks: who gets the callback link, and which callbacks are believed.</summary>
public sealed class CallbackForgeryTests
{
    [Fact]
    public async Task A_viewer_gets_an_editor_config_without_a_callback_url()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(4_000));
        using var viewer = new HttpClient { BaseAddress = host.App.Address };
        viewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token("victor", "viewer"));

        var viewerConfig = (await viewer.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{doc.Id}/editor-config"))!;

        Assert.Null(viewerConfig["editorConfig"]!["callbackUrl"]);
        Assert.Equal("view", viewerConfig["editorConfig"]!["mode"]!.GetValue<string>());
        Assert.DoesNotContain("/onlyoffice/callback/", viewerConfig.ToJsonString());
        Assert.NotNull((await host.EditorConfigAsync(doc.Id))["editorConfig"]!["callbackUrl"]); // an editor's still has it
    }

    [Fact]
    public async Task Without_a_secret_a_forged_save_callback_is_refused_naming_the_secret_and_no_version_is_made()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false, signed: false);
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(4_000));

        using var config = await host.Http.GetAsync($"/api/tenants/demo/documents/{doc.Id}/editor-config");
        Assert.Equal(HttpStatusCode.Conflict, config.StatusCode);
        Assert.Equal("OnlyOffice:JwtSecret", JsonNode.Parse(await config.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());

        // A callback link seen earlier (it never expires) and an unsigned status-6 "save" carrying someone's own file.
        string signature;
        using (var scope = host.App.Services.CreateScope())
        {
            signature = scope.ServiceProvider.GetRequiredService<CallbackHandler>().Signature("demo", doc.Id);
        }

        var callback = new Uri(host.App.Address, $"/onlyoffice/callback/demo/{doc.Id}?sig={signature}").ToString();
        var (status, body) = await host.DocumentServer.SendCallbackAsync(callback,
            DocumentServerStandIn.Body(doc.Key, 6, host.DocumentServer.Serve(Encoding.UTF8.GetBytes("forged")), "2026-12-06T01:00:00Z"), Signing.None);

        Assert.Equal(403, status);
        Assert.Equal("OnlyOffice:JwtSecret", JsonNode.Parse(body)!["field"]!.GetValue<string>());
        Assert.Equal(0, host.DocumentServer.FileDownloads);
        Assert.Equal(1, (await host.GetAsync(doc.Id)).Version);
        Assert.Single(await host.VersionsAsync(doc.Id));
    }

    [Fact]
    public async Task A_signed_callback_token_without_an_expiry_is_refused()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(4_000));
        var (callback, key) = await host.SessionAsync(doc.Id);
        var fields = DocumentServerStandIn.Body(key, 6, host.DocumentServer.Serve(Encoding.UTF8.GetBytes("forged")), "2026-12-06T01:00:00Z");
        var sent = (JsonObject)fields.DeepClone();
        sent["token"] = SignWithoutExpiry(fields, host.DocumentServer.Secret);

        using var http = new HttpClient();
        using var response = await http.PostAsync(callback, new StringContent(sent.ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.Equal(403, (int)response.StatusCode);
        Assert.Equal("token", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        Assert.Equal(0, host.DocumentServer.FileDownloads);
        Assert.Equal(1, (await host.GetAsync(doc.Id)).Version);
    }

    private static string SignWithoutExpiry(JsonObject payload, string secret)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var head = B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8.ToArray());
        var body = B64(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return $"{head}.{body}.{B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes($"{head}.{body}")))}";
    }
}
