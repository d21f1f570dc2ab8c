using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

/// <summary>The data folder holds the data-protection keys (in the SQLite file) and the runtime configuration.</summary>
public sealed class DataFolderPermissionTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix file modes
    public async Task The_data_folder_its_database_and_its_config_files_are_readable_by_the_owner_only()
    {
        await using var app = new HubApp();
        using var client = app.CreateClient();
        Assert.True((await client.GetAsync("/health/live")).IsSuccessStatusCode); // the host has started

        const UnixFileMode groupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(app.DataPath) & groupOrOther);
        // The folder (0700) closes everything below it; the secrets are 0600 as well, should it ever be opened up.
        var secrets = Directory.GetFiles(Path.Combine(app.DataPath, "config"), "*.json").Append(Path.Combine(app.DataPath, "realtime-sync.db")).ToList();
        Assert.True(secrets.Count > 1);
        Assert.All(secrets, f => Assert.True((File.GetUnixFileMode(f) & groupOrOther) == 0, $"{f} is {File.GetUnixFileMode(f)}"));
    }
}
