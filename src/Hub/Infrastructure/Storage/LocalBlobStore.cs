using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Hosting;

namespace RealtimeSync.Hub.Infrastructure.Storage;

/// <summary>
/// Blobs as files under <c>{data}/blobs/objects</c>, metadata beside them under <c>{data}/blobs/meta</c>.
/// Writes go to a temp file that is fsynced and then renamed, so a reader never sees a half-written object.
/// </summary>
public sealed class LocalBlobStore : IBlobStore
{
    private readonly string objects;
    private readonly string meta;
    private readonly byte[] signingKey;
    private readonly TimeProvider clock;

    public LocalBlobStore(DataDirectory data, SigningKeys keys, TimeProvider clock)
    {
        objects = data.Combine("blobs", "objects");
        meta = data.Combine("blobs", "meta");
        Directory.CreateDirectory(objects);
        Directory.CreateDirectory(meta);
        signingKey = keys.Derive("blob-presign-v1");
        this.clock = clock;
    }

    public string Kind => "local";

    public async Task<BlobInfo> PutAsync(string key, Stream content, string contentType, CancellationToken ct = default)
    {
        BlobKey.Validate(key);
        var path = ObjectPath(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // The metadata is written before the object appears under its name: a reader never finds an object without it.
        BlobInfo? info = null;
        await DurableFile.WriteAsync(content, path, long.MaxValue, overwrite: true, ct, async digest =>
        {
            info = new BlobInfo(key, digest.Size, contentType, digest.Md5, clock.GetUtcNow());
            await WriteMetaAsync(key, info, ct);
        });
        return info! with { LastModified = File.GetLastWriteTimeUtc(path) };
    }

    public async Task<BlobContent?> GetAsync(string key, CancellationToken ct = default)
    {
        var info = await HeadAsync(key, ct);
        if (info is null)
        {
            return null;
        }

        try
        {
            var stream = new FileStream(ObjectPath(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous);
            return new BlobContent(info, stream);
        }
        catch (FileNotFoundException)
        {
            return null; // deleted between head and open
        }
    }

    public async Task<BlobInfo?> HeadAsync(string key, CancellationToken ct = default)
    {
        BlobKey.Validate(key);
        var file = new FileInfo(ObjectPath(key));
        if (!file.Exists)
        {
            return null;
        }

        var stored = await ReadMetaAsync(key, ct);
        if (stored is not null && stored.Size == file.Length)
        {
            return stored with { LastModified = file.LastWriteTimeUtc };
        }

        // Metadata missing or from an older write (crash between the two renames): recompute from the bytes.
        await using var stream = file.OpenRead();
        var md5 = Convert.ToHexStringLower(await MD5.HashDataAsync(stream, ct));
        return new BlobInfo(key, file.Length, stored?.ContentType ?? "application/octet-stream", md5, file.LastWriteTimeUtc);
    }

    public Task<bool> DeleteAsync(string key, CancellationToken ct = default)
    {
        BlobKey.Validate(key);
        var path = ObjectPath(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        if (File.Exists(MetaPath(key)))
        {
            File.Delete(MetaPath(key));
        }

        return Task.FromResult(true);
    }

    public Uri Presign(string key, TimeSpan expiresIn)
    {
        BlobKey.Validate(key);
        var expires = clock.GetUtcNow().Add(expiresIn).ToUnixTimeSeconds();
        return new Uri($"/blobs/{key}?expires={expires}&sig={Sign(key, expires)}", UriKind.Relative);
    }

    /// <summary>Checks a link made by <see cref="Presign"/>: signature first (constant time), then expiry.</summary>
    public bool VerifyLink(string key, long expires, string? signature)
    {
        if (string.IsNullOrEmpty(signature) || !BlobKey.IsValid(key))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(key, expires));
        var given = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, given) && clock.GetUtcNow().ToUnixTimeSeconds() <= expires;
    }

    public Task ProbeAsync(CancellationToken ct = default)
    {
        var probe = Path.Combine(objects, $".probe-{Guid.NewGuid():N}");
        File.WriteAllBytes(probe, [1]);
        File.Delete(probe);
        return Task.CompletedTask;
    }

    private string Sign(string key, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes($"{key}\n{expires.ToString(CultureInfo.InvariantCulture)}")));

    private string ObjectPath(string key) => Path.Combine(objects, key);

    private string MetaPath(string key) => Path.Combine(meta, key + ".json");

    private async Task WriteMetaAsync(string key, BlobInfo info, CancellationToken ct)
    {
        var path = MetaPath(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bytes = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(info));
        await DurableFile.WriteAsync(bytes, path, long.MaxValue, overwrite: true, ct);
    }

    private async Task<BlobInfo?> ReadMetaAsync(string key, CancellationToken ct)
    {
        try
        {
            return JsonSerializer.Deserialize<BlobInfo>(await File.ReadAllBytesAsync(MetaPath(key), ct));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }
}
