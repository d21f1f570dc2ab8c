namespace RealtimeSync.Hub.Infrastructure.Hosting;

/// <summary>
/// The folder for embedded-mode state (SQLite file, blobs, config files, generated keys).
/// Relative paths resolve against the working directory, so `dotnet run --project src/Hub`
/// from the repository root keeps everything under ./data. The folder is the owner's only (0700): the SQLite
/// file holds the data-protection key ring and the config files hold the runtime configuration.
/// </summary>
public sealed class DataDirectory
{
    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public DataDirectory(IConfiguration configuration)
    {
        var configured = configuration["Storage:DataPath"];
        Path = System.IO.Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? "data" : configured);
        CreatePrivateFolder(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Creates <paramref name="folder"/> (or narrows an existing one) to 0700.</summary>
    public static void CreatePrivateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder); // ACLs of the user profile apply
            return;
        }

        Directory.CreateDirectory(folder, OwnerFolder);
        File.SetUnixFileMode(folder, OwnerFolder);
    }

    /// <summary>Narrows a file holding secrets to 0600 (no-op on Windows or when it does not exist).</summary>
    public static void MakePrivate(string file)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(file))
        {
            File.SetUnixFileMode(file, OwnerFile);
        }
    }
}
