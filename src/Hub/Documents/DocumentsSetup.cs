using RealtimeSync.Hub.Infrastructure.Health;

namespace RealtimeSync.Hub.Documents;

public static class DocumentsSetup
{
    public static WebApplicationBuilder AddDocuments(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DocumentsOptions>().Bind(builder.Configuration.GetSection(DocumentsOptions.Section));
        builder.Services.AddOptions<OnlyOfficeOptions>().Bind(builder.Configuration.GetSection(OnlyOfficeOptions.Section));
        builder.Services.AddHttpClient(DocumentServerClient.HttpClientName, client => client.Timeout = TimeSpan.FromMinutes(5))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        builder.Services.AddSingleton<SaveSpool>();
        builder.Services.AddSingleton<SaveStatusPublisher>();
        builder.Services.AddSingleton<DocumentServerClient>();
        builder.Services.AddSingleton<DocumentServerProbe>();
        builder.Services.AddHostedService(s => s.GetRequiredService<DocumentServerProbe>());
        builder.Services.AddHealthChecks().AddCheck<DocumentServerProbe>("documentServer", tags: [HealthSetup.ReadyTag], timeout: TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton<SavePipeline>();
        builder.Services.AddHostedService<SaveWorker>();
        builder.Services.AddScoped<DocumentStore>();
        builder.Services.AddScoped<DocumentService>();
        builder.Services.AddScoped<CallbackHandler>();
        return builder;
    }
}
