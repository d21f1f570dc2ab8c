using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RealtimeSync.Hub.Tests.Documents;

/// <summary>Zip slip and spoofed names: upload file names end up as zip entry names and download names.</summary>
public sealed class UploadFileNameTests
{
    [Fact]
    public async Task Path_traversal_and_bidi_override_file_names_are_cleaned_at_upload_and_in_zip_entries()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        var traversal = await UploadAsync(host, "..\\..\\x.bat");
        var spoofed = await UploadAsync(host, "invoice\u202Egpj.exe");
        Assert.Equal(HttpStatusCode.Created, traversal.Status);
        Assert.Equal(HttpStatusCode.Created, spoofed.Status);
        Assert.Equal("x.bat", traversal.Body["filename"]!.GetValue<string>());
        Assert.Equal("invoicegpj.exe", spoofed.Body["filename"]!.GetValue<string>());

        foreach (var name in new[] { "..", ".", "\u202E", "a/.." })
        {
            var refused = await UploadAsync(host, name);
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Equal("filename", refused.Body["field"]!.GetValue<string>());
        }

        Assert.Equal(2, (await host.Http.GetFromJsonAsync<JsonArray>("/api/tenants/demo/documents"))!.Count); // the refused ones made nothing

        var ids = new[] { traversal.Body["id"]!.GetValue<string>(), spoofed.Body["id"]!.GetValue<string>() };
        using var zipResponse = await host.Http.PostAsync("/api/tenants/demo/documents/batch-download",
            new StringContent(JsonSerializer.Serialize(new { documentIds = ids }), Encoding.UTF8, "application/json"));
        await using var zip = new ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        foreach (var entry in zip.Entries)
        {
            var segments = entry.FullName.Split('/', '\\');
            Assert.DoesNotContain(segments, s => s is "" or "." or "..");
            Assert.DoesNotContain('\\', entry.FullName);
            Assert.DoesNotContain(entry.FullName, c => char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.Control);
        }
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> UploadAsync(DocumentsHost host, string filename)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("echo pwned")), "file", "upload.bin" } };
        form.Add(new StringContent(filename), "filename");
        using var response = await host.Http.PostAsync("/api/tenants/demo/documents", form);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }
}
