using System.Net;
using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace RealtimeSync.Hub.Infrastructure.Storage;

public sealed class S3Options
{
    public string? ServiceUrl { get; set; }

    public string Bucket { get; set; } = "";

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    public string Region { get; set; } = "us-east-1";

    /// <summary>MinIO, s3rver and most self-hosted S3 APIs need path-style addressing.</summary>
    public bool ForcePathStyle { get; set; } = true;
}

/// <summary>Blobs in an S3 API bucket (AWS S3, MinIO, s3rver…).</summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly AmazonS3Client client;
    private readonly string bucket;
    private readonly bool plainHttp;

    public S3BlobStore(S3Options options)
    {
        if (string.IsNullOrWhiteSpace(options.Bucket))
        {
            throw new InvalidOperationException("Storage:S3:Bucket is required for the S3 blob store.");
        }

        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            // S3-compatible servers do not all understand the SDK's default trailing checksums
            // (s3rver stores the aws-chunked framing inside the object); integrity is checked with Content-MD5 instead.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (!string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
            plainHttp = options.ServiceUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        client = string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        bucket = options.Bucket;
    }

    public string Kind => "s3";

    public async Task<BlobInfo> PutAsync(string key, Stream content, string contentType, CancellationToken ct = default)
    {
        BlobKey.Validate(key);

        // Content-MD5 must be known before the request; a non-seekable source is spooled to a temp file first.
        Stream source = content;
        FileStream? spool = null;
        if (!content.CanSeek)
        {
            spool = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            await content.CopyToAsync(spool, ct);
            spool.Position = 0;
            source = spool;
        }

        try
        {
            var start = source.Position;
            var md5 = await MD5.HashDataAsync(source, ct);
            var size = source.Position - start;
            source.Position = start;
            var response = await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = key,
                InputStream = source,
                AutoCloseStream = false,
                ContentType = contentType,
                MD5Digest = Convert.ToBase64String(md5),
                UseChunkEncoding = false,
            }, ct);

            var hex = Convert.ToHexStringLower(md5);
            var etag = response.ETag?.Trim('"');
            if (etag is not null && !etag.Contains('-', StringComparison.Ordinal) && !string.Equals(etag, hex, StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"S3 stored '{key}' with ETag {etag} but the uploaded bytes have MD5 {hex}.");
            }

            return new BlobInfo(key, size, contentType, hex, DateTimeOffset.UtcNow);
        }
        finally
        {
            if (spool is not null)
            {
                await spool.DisposeAsync();
            }
        }
    }

    public async Task<BlobContent?> GetAsync(string key, CancellationToken ct = default)
    {
        BlobKey.Validate(key);
        try
        {
            var response = await client.GetObjectAsync(bucket, key, ct);
            return new BlobContent(ToInfo(key, response.Headers, response.ETag, response.LastModified), response.ResponseStream);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<BlobInfo?> HeadAsync(string key, CancellationToken ct = default)
    {
        BlobKey.Validate(key);
        try
        {
            var response = await client.GetObjectMetadataAsync(bucket, key, ct);
            return ToInfo(key, response.Headers, response.ETag, response.LastModified);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken ct = default)
    {
        // S3 answers 204 whether or not the object existed; the head makes the result meaningful.
        if (await HeadAsync(key, ct) is null)
        {
            return false;
        }

        await client.DeleteObjectAsync(bucket, key, ct);
        return true;
    }

    public Uri Presign(string key, TimeSpan expiresIn)
    {
        BlobKey.Validate(key);
        var url = client.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow.Add(expiresIn),
            Protocol = plainHttp ? Protocol.HTTP : Protocol.HTTPS,
        });
        return new Uri(url, UriKind.Absolute);
    }

    public async Task ProbeAsync(CancellationToken ct = default) =>
        await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, ct);

    public void Dispose() => client.Dispose();

    private static BlobInfo ToInfo(string key, HeadersCollection headers, string? etag, DateTime? lastModified) => new(
        key,
        headers.ContentLength,
        headers.ContentType ?? "application/octet-stream",
        etag?.Trim('"').ToLowerInvariant() ?? "",
        lastModified is { } m ? new DateTimeOffset(DateTime.SpecifyKind(m.ToUniversalTime(), DateTimeKind.Utc)) : DateTimeOffset.UtcNow);
}
