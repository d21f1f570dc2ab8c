using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Documents;

public sealed class ViewerForceSaveTests
{
    [Fact]
    public async Task A_viewer_cannot_trigger_a_force_save_through_content_latest()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        var original = RandomNumberGenerator.GetBytes(8_000);
        var doc = await host.UploadAsync(original);
        var (callback, key) = await host.SessionAsync(doc.Id);
        await host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 1), Signing.BodyToken);
        host.DocumentServer.OpenSession(key, callback, RandomNumberGenerator.GetBytes(9_000));
        using var viewer = new HttpClient { BaseAddress = host.App.Address };
        viewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token("victor", "viewer"));

        using var latest = await viewer.GetAsync($"/api/tenants/demo/documents/{doc.Id}/content?latest=true");

        Assert.Equal(HttpStatusCode.Forbidden, latest.StatusCode);
        Assert.Equal("latest", JsonNode.Parse(await latest.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        Assert.DoesNotContain(host.DocumentServer.Commands, c => c["c"]?.GetValue<string>() == "forcesave"); // only the probe's version commands
        Assert.Equal(1, (await host.GetAsync(doc.Id)).Version);
        // The committed version stays readable for the viewer.
        Assert.Equal(original, await viewer.GetByteArrayAsync($"/api/tenants/demo/documents/{doc.Id}/content"));
    }
}
