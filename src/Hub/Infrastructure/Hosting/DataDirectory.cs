namespace RealtimeSync.Hub.Infrastructure.Hosting;

/// <summary>
/// The folder for embedded-mode state (SQLite file, blobs, config files, generated keys).
/// Relative paths resolve against the working directory, so `dotnet run --project src/Hub`
/// from the repository root keeps everything under ./data.
/// </summary>
public sealed class DataDirectory
{
    public DataDirectory(IConfiguration configuration)
    {
        var configured = configuration["Storage:DataPath"];
        Path = System.IO.Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? "data" : configured);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}
