using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Http;

namespace RealtimeSync.Hub.Infrastructure.Storage;

public static class StorageSetup
{
    /// <summary>S3 when <c>Storage:S3:Bucket</c> is set, else a local folder under the data directory.</summary>
    public static WebApplicationBuilder AddBlobStorage(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IBlobStore>(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var s3 = configuration.GetSection("Storage:S3").Get<S3Options>();
            return s3 is { Bucket.Length: > 0 }
                ? new S3BlobStore(s3)
                : new LocalBlobStore(sp.GetRequiredService<DataDirectory>(), sp.GetRequiredService<SigningKeys>(), sp.GetRequiredService<TimeProvider>());
        });
        return builder;
    }

    /// <summary>Serves presigned links of the local store; S3 links point at S3 itself.</summary>
    public static IEndpointRouteBuilder MapBlobDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/blobs/{**key}", DownloadAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> DownloadAsync(string key, long? expires, string? sig, HttpContext http, IBlobStore store, CancellationToken ct)
    {
        if (store is not LocalBlobStore local)
        {
            return TypedResults.NotFound();
        }

        if (expires is null || !local.VerifyLink(key, expires.Value, sig))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Invalid or expired link",
                detail: "The download link's signature does not match or it has expired.");
        }

        var blob = await local.GetAsync(key, ct);
        return blob is null
            ? TypedResults.NotFound()
            : StoredFiles.Attachment(http, blob.Stream, blob.Info.ContentType, filename: null,
                new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{blob.Info.Md5}\""), blob.Info.LastModified);
    }
}
