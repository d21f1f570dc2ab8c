using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace RealtimeSync.Hub.Infrastructure.Storage;

/// <summary>Size and hashes (lowercase hex) of a file written by <see cref="DurableFile"/>.</summary>
internal sealed record FileDigest(long Size, string Md5, string Sha256);

/// <summary>
/// Files that survive a crash once written: the bytes go to a temp file that is fsynced, the temp file is renamed
/// to its final name, and the directory is fsynced so the rename itself is durable (POSIX). After a crash a file
/// under its final name is whole. Used by the local blob store and the save spool.
/// </summary>
internal static class DurableFile
{
    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="path"/> durably, hashing on the way. Null (and nothing
    /// written) when the source has more than <paramref name="maxBytes"/>. <paramref name="beforeRename"/> runs after
    /// the bytes are on disk and before they appear under <paramref name="path"/>.
    /// </summary>
    public static async Task<FileDigest?> WriteAsync(Stream source, string path, long maxBytes, bool overwrite, CancellationToken ct, Func<FileDigest, Task>? beforeRename = null)
    {
        var temp = $"{path}.tmp-{Guid.NewGuid():N}";
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
                        return null;
                    }

                    md5.AppendData(buffer, 0, read);
                    sha256.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }

                file.Flush(flushToDisk: true);
            }

            var digest = new FileDigest(size, Convert.ToHexStringLower(md5.GetHashAndReset()), Convert.ToHexStringLower(sha256.GetHashAndReset()));
            if (beforeRename is not null)
            {
                await beforeRename(digest);
            }

            File.Move(temp, path, overwrite);
            SyncDirectory(Path.GetDirectoryName(path)!);
            return digest;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>fsync of the directory makes a rename in it durable (POSIX); elsewhere the rename is left to the OS.</summary>
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
