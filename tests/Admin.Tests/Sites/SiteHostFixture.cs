namespace RealtimeSync.Admin.Tests.Sites;

/// <summary>One <see cref="SiteHost"/> with the default history window for a test class.</summary>
public sealed class SiteHostFixture : IAsyncLifetime
{
    public SiteHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await SiteHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
