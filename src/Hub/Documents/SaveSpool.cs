using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Infrastructure.Hosting;

namespace RealtimeSync.Hub.Documents;

/// <summary>A file on local disk, fsynced, with its hashes (lowercase hex).</summary>
public sealed record SpooledFile(string Name, string Path, long Size, string Md5, string Sha256);

/// <summary>The source had more bytes than allowed.</summary>
public sealed class SpoolLimitExceededException(long limit) : Exception($"The file is larger than {limit} bytes.")
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Local durable storage of received files until the blob store has them. A file is written under a temp
/// name, fsynced, renamed, and its directory fsynced, so after a crash a file under its final name is whole.
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
        var folder = Folder;
        var name = $"{Guid.NewGuid():N}.bin";
        var temp = Path.Combine(folder, name + ".part");
        var path = Path.Combine(folder, name);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await source.ReadAsync(buffer, ct)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                    {
                        throw new SpoolLimitExceededException(maxBytes);
                    }

                    md5.AppendData(buffer, 0, read);
                    sha256.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }

                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path);
            SyncDirectory(folder);
            return new SpooledFile(name, path, size, Convert.ToHexStringLower(md5.GetHashAndReset()), Convert.ToHexStringLower(sha256.GetHashAndReset()));
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public string PathOf(string name) => Path.Combine(Folder, Path.GetFileName(name));

    public bool Exists(string name) => File.Exists(PathOf(name));

    public void Delete(string name) => File.Delete(PathOf(name));

    /// <summary>fsync of the directory makes the rename itself durable (POSIX); elsewhere the rename is left to the OS.</summary>
    private static void SyncDirectory(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(folder, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the source-generated stubs would need unsafe code in the whole project.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "open")]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync")]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
#pragma warning restore SYSLIB1054
}
