using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RealtimeSync.Hub.Tests.Documents;

namespace RealtimeSync.Hub.Tests.Infrastructure;

/// <summary>Stored XSS: an uploaded HTML file must never be served as a page on the hub's origin.</summary>
public sealed class StoredFileDownloadTests
{
    private const string Script = "<html><body><script>localStorage.setItem('xss', document.cookie)</script></body></html>";

    [Fact]
    public async Task Uploaded_html_with_a_script_is_served_as_a_sandboxed_attachment_on_every_download_path()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        var id = await UploadHtmlAsync(host);

        using (var content = await host.Http.GetAsync($"/api/tenants/demo/documents/{id}/content"))
        {
            await AssertAttachmentAsync(content, expectName: true);
        }

        using (var redirect = await host.Http.GetAsync($"/api/tenants/demo/documents/{id}/content?redirect=true"))
        {
            Assert.Equal("/blobs/", redirect.RequestMessage!.RequestUri!.AbsolutePath[..7]); // followed onto the local store's link
            await AssertAttachmentAsync(redirect, expectName: false);
        }

        var link = (await host.Http.GetFromJsonAsync<JsonObject>($"/api/tenants/demo/documents/{id}/download-url"))!["url"]!.GetValue<string>();
        using (var anonymous = new HttpClient())
        using (var blob = await anonymous.GetAsync(new Uri(host.App.Address, link)))
        {
            await AssertAttachmentAsync(blob, expectName: false);
        }

        using var zip = await host.Http.PostAsync("/api/tenants/demo/documents/batch-download",
            new StringContent($$"""{"documentIds":["{{id}}"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, zip.StatusCode);
        Assert.Equal("application/zip", zip.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", zip.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("nosniff", Assert.Single(zip.Headers.GetValues("X-Content-Type-Options")));
        Assert.Contains("sandbox", Assert.Single(zip.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task Backoffice_pages_refuse_to_be_framed_by_another_site()
    {
        await using var host = await DocumentsHost.StartAsync(s3: false);
        using var anonymous = new HttpClient { BaseAddress = host.App.Address };
        using var login = await anonymous.GetAsync("/login");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal("DENY", Assert.Single(login.Headers.GetValues("X-Frame-Options")));
        Assert.Contains("frame-ancestors 'none'", Assert.Single(login.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", Assert.Single(login.Headers.GetValues("X-Content-Type-Options")));
    }

    internal static async Task<string> UploadHtmlAsync(DocumentsHost host)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(Script));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/html");
        form.Add(file, "file", "report.html");
        using var response = await host.Http.PostAsync("/api/tenants/demo/documents", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>(JsonSerializerOptions.Web))!["id"]!.GetValue<string>();
    }

    private static async Task AssertAttachmentAsync(HttpResponseMessage response, bool expectName)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Script, await response.Content.ReadAsStringAsync()); // the file itself is unchanged
        Assert.NotEqual("text/html", response.Content.Headers.ContentType?.MediaType);
        var disposition = response.Content.Headers.ContentDisposition;
        Assert.Equal("attachment", disposition?.DispositionType);
        if (expectName)
        {
            Assert.Equal("report.html", disposition!.FileNameStar ?? disposition.FileName?.Trim('"'));
        }

        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("sandbox", policy);
        Assert.Contains("default-src 'none'", policy);
    }
}
