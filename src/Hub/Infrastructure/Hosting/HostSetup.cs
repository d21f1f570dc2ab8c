using Microsoft.Extensions.Configuration.Json;

namespace RealtimeSync.Hub.Infrastructure.Hosting;

public static class HostSetup
{
    /// <summary>
    /// The product's appsettings.json and wwwroot live at the repository top level and are copied next
    /// to the binaries. Reading them from there (not from the content root) makes `dotnet run` from any
    /// folder, `dotnet publish` and the in-process test host all see the same files.
    /// </summary>
    public static WebApplicationOptions Options(string[] args) => new()
    {
        Args = args,
        WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
    };

    public static WebApplicationBuilder AddProductSettings(this WebApplicationBuilder builder)
    {
        var sources = builder.Configuration.Sources;
        var index = sources.Select((s, i) => (s, i))
            .FirstOrDefault(x => x.s is JsonConfigurationSource { Path: "appsettings.json" }).i;
        var shipped = new JsonConfigurationSource
        {
            Path = Path.Combine(AppContext.BaseDirectory, "appsettings.json"),
            Optional = true,
            ReloadOnChange = false,
        };
        shipped.ResolveFileProvider();
        sources.Insert(index, shipped);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<NodeInfo>();
        builder.Services.AddSingleton<DataDirectory>();
        return builder;
    }
}
