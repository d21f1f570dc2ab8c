using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace RealtimeSync.Testing;

/// <summary>
/// The real host (Program.cs, every feature) in-process, with its own data folder and the given
/// settings layered over appsettings.json, exactly as environment variables would be in production.
/// </summary>
public sealed class HubApp : WebApplicationFactory<Program>
{
    public const string AdminPassword = "correct-horse-battery";

    private readonly Dictionary<string, string?> settings;
    private readonly IDictionary<string, string?> commandLine;
    private readonly Action<IServiceCollection>? services;

    /// <param name="commandLine">
    /// Passed as the node's command-line arguments (<c>--key=value</c>), which sit below the config store's source as
    /// environment variables do in production; <paramref name="settings"/> are layered over everything.
    /// </param>
    public HubApp(IDictionary<string, string?>? settings = null, bool realServer = false, IDictionary<string, string?>? commandLine = null, Action<IServiceCollection>? services = null)
    {
        this.services = services;
        this.commandLine = commandLine ?? new Dictionary<string, string?>();
        DataPath = Path.Combine(Path.GetTempPath(), "rs-tests", Guid.NewGuid().ToString("N"));
        this.settings = new Dictionary<string, string?>
        {
            ["Storage:DataPath"] = DataPath,
            ["Admin:InitialPassword"] = AdminPassword,
            ["Node:Id"] = $"test-{Guid.NewGuid().ToString("N")[..6]}",
            ["Urls"] = "http://127.0.0.1:0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            this.settings[key] = value;
        }

        if (realServer)
        {
            // Browsers and Node clients need a real socket, not the in-memory test server.
            UseKestrel(0);
            StartServer();
        }
    }

    public string DataPath { get; }

    /// <summary>The real http://127.0.0.1:port address (only with realServer: true).</summary>
    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (services is not null)
        {
            builder.ConfigureServices(services); // after Program.cs's registrations (e.g. an in-memory trace exporter)
        }
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // The test host turns host configuration into the entry point's command-line arguments.
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(commandLine));
        return base.CreateHost(builder);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open by a finishing request; the temp folder is cleaned by the OS
        }
    }
}
