namespace RealtimeSync.Hub.Infrastructure.Storage;

/// <summary>
/// Immutable-object storage for document bytes. Two implementations: a local folder (embedded mode)
/// and an S3 API bucket (production). A completed <see cref="PutAsync"/> means the bytes are durable
/// and their MD5 was verified by the store.
/// </summary>
public interface IBlobStore
{
    /// <summary>"local" or "s3".</summary>
    string Kind { get; }

    Task<BlobInfo> PutAsync(string key, Stream content, string contentType, CancellationToken ct = default);

    /// <summary>The object's bytes and metadata, or null when there is no such object. Dispose the result.</summary>
    Task<BlobContent?> GetAsync(string key, CancellationToken ct = default);

    Task<BlobInfo?> HeadAsync(string key, CancellationToken ct = default);

    /// <summary>True when an object was removed.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken ct = default);

    /// <summary>
    /// A time-limited GET link. S3 links are absolute; local links are relative to the host's base URL
    /// (served by <c>/blobs/...</c> with an HMAC signature).
    /// </summary>
    Uri Presign(string key, TimeSpan expiresIn);

    /// <summary>Throws when the store cannot be reached; used by readiness checks.</summary>
    Task ProbeAsync(CancellationToken ct = default);
}

/// <param name="Md5">Lowercase hex MD5 of the bytes.</param>
public sealed record BlobInfo(string Key, long Size, string ContentType, string Md5, DateTimeOffset LastModified);

public sealed class BlobContent(BlobInfo info, Stream stream) : IAsyncDisposable, IDisposable
{
    public BlobInfo Info { get; } = info;

    public Stream Stream { get; } = stream;

    public ValueTask DisposeAsync() => Stream.DisposeAsync();

    public void Dispose() => Stream.Dispose();
}
