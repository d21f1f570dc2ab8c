using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Storage;

namespace RealtimeSync.Hub.Documents;

/// <summary>A file on local disk, fsynced, with its hashes (lowercase hex).</summary>
public sealed record SpooledFile(string Name, string Path, long Size, string Md5, string Sha256);

/// <summary>The source had more bytes than allowed.</summary>
public sealed class SpoolLimitExceededException(long limit) : Exception($"The file is larger than {limit} bytes.")
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Local durable storage of received files until the blob store has them (written with <see cref="DurableFile"/>:
/// after a crash a file under its final name is whole).
/// </summary>
public sealed class SaveSpool(DataDirectory data, IOptionsMonitor<DocumentsOptions> options)
{
    public string Folder
    {
        get
        {
            var configured = options.CurrentValue.SpoolFolder;
            var folder = Path.IsPathRooted(configured) ? configured : data.Combine(configured);
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    public async Task<SpooledFile> WriteAsync(Stream source, long maxBytes, CancellationToken ct)
    {
        var name = $"{Guid.NewGuid():N}.bin";
        var path = Path.Combine(Folder, name);
        var digest = await DurableFile.WriteAsync(source, path, maxBytes, overwrite: false, ct) ?? throw new SpoolLimitExceededException(maxBytes);
        return new SpooledFile(name, path, digest.Size, digest.Md5, digest.Sha256);
    }

    public string PathOf(string name) => Path.Combine(Folder, Path.GetFileName(name));

    public bool Exists(string name) => File.Exists(PathOf(name));

    public void Delete(string name) => File.Delete(PathOf(name));
}
