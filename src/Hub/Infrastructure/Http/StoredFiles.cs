using Microsoft.Net.Http.Headers;

namespace RealtimeSync.Hub.Infrastructure.Http;

/// <summary>
/// How every stored (user-uploaded) file leaves the hub: as an attachment, never rendered on the hub's origin.
/// The uploader chose the content type, so a type a browser would render as a page (HTML, SVG, XML, script) is
/// served as <c>application/octet-stream</c>; <c>nosniff</c> stops the browser guessing one, and the sandboxing
/// CSP keeps a file opened anyway (a saved link, an old browser) from running script with the hub's cookies.
/// </summary>
public static class StoredFiles
{
    /// <summary>The policy of a stored file: no script, no plugins, no same-origin access, never framed.</summary>
    public const string ContentSecurityPolicy = "sandbox; default-src 'none'; frame-ancestors 'none'";

    private static readonly string[] ActiveTypes =
    [
        "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/xsl", "application/xslt+xml",
        "text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript", "application/x-javascript",
        "multipart/x-mixed-replace", "application/pdf", "text/vtt", "application/wasm",
    ];

    /// <summary>The stored type unless a browser would render or run it; then <c>application/octet-stream</c>.</summary>
    public static string SafeContentType(string? stored)
    {
        if (string.IsNullOrWhiteSpace(stored) || !MediaTypeHeaderValue.TryParse(stored, out var parsed) || parsed.MediaType.Value is not { } type)
        {
            return "application/octet-stream";
        }

        return ActiveTypes.Contains(type, StringComparer.OrdinalIgnoreCase) || type.EndsWith("+xml", StringComparison.OrdinalIgnoreCase)
            ? "application/octet-stream"
            : stored;
    }

    /// <summary>Sets the headers every stored-file response carries (the zip download and the streamed files below).</summary>
    public static void ApplyHeaders(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.CacheControl = "private, no-store";
    }

    /// <summary>A stored file as an attachment named <paramref name="filename"/> (<c>attachment</c> alone when null).</summary>
    public static IResult Attachment(
        HttpContext http, Stream content, string? storedContentType, string? filename,
        EntityTagHeaderValue? entityTag = null, DateTimeOffset? lastModified = null)
    {
        ApplyHeaders(http.Response);
        var type = SafeContentType(storedContentType);
        if (filename is null)
        {
            http.Response.Headers.ContentDisposition = "attachment";
            return TypedResults.Stream(content, type, lastModified: lastModified, entityTag: entityTag);
        }

        // FileStreamHttpResult writes Content-Disposition: attachment; filename=...; filename*=UTF-8''...
        return TypedResults.Stream(content, type, filename, lastModified, entityTag);
    }
}
