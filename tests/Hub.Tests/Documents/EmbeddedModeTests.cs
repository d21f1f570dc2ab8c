using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Documents;

/// <summary>Embedded mode: SQLite, the local blob store.</summary>
public sealed class EmbeddedModeTests
{
    [Fact]
    public async Task Callbacks_save_into_the_local_store_and_uploads_over_the_limit_get_413_naming_the_file()
    {
        await using var host = await DocumentsHost.StartAsync(new() { ["Documents:MaxUploadBytes"] = "50000" }, s3: false);
        Assert.Equal("local", host.App.Services.GetRequiredService<IBlobStore>().Kind);
        var doc = await host.UploadAsync(RandomNumberGenerator.GetBytes(40_000));
        var (callback, key) = await host.SessionAsync(doc.Id);
        var edited = RandomNumberGenerator.GetBytes(45_000);

        Assert.Equal((200, "{\"error\":0}"), await host.DocumentServer.SendCallbackAsync(callback, DocumentServerStandIn.Body(key, 2, host.DocumentServer.Serve(edited), "2026-11-21T22:00:00Z"), Signing.BodyToken));
        await host.WaitForVersionAsync(doc.Id, 2);
        Assert.Equal(edited, await host.Http.GetByteArrayAsync($"/api/tenants/demo/documents/{doc.Id}/content"));
        var unsignedLink = callback[..callback.IndexOf("?sig=", StringComparison.Ordinal)];
        Assert.Equal(403, (await host.DocumentServer.SendCallbackAsync(unsignedLink, DocumentServerStandIn.Body(key, 1), Signing.BodyToken)).Status);

        using var form = new MultipartFormDataContent { { new ByteArrayContent(RandomNumberGenerator.GetBytes(60_000)), "file", "big.docx" } };
        using var tooLarge = await host.Http.PostAsync("/api/tenants/demo/documents", form);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("file", JsonNode.Parse(await tooLarge.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
    }
}
