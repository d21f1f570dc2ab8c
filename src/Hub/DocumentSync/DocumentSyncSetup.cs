using RealtimeSync.Hub.Infrastructure.Locking;
using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;

namespace RealtimeSync.Hub.DocumentSync;

public static class DocumentSyncSetup
{
    public static WebApplicationBuilder AddDocumentSync(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DocumentSyncOptions>().Bind(builder.Configuration.GetSection(DocumentSyncOptions.Section));
        builder.Services.AddScoped<DocumentSyncReader>();
        builder.Services.AddScoped<BatchDownload>();
        builder.Services.AddScoped<TombstonePurger>();
        builder.Services.AddSingletonJob<TombstoneCleanupJob>();
        builder.Services.AddHostedService<DocumentChangesNotifier>();
        builder.Services.AddResponseCompression(o =>
        {
            // Only endpoints marked CompressResponse get here (see MapDocumentSync), so HTTPS is safe to allow: their
            // bodies hold no secrets (BREACH needs a secret and attacker-chosen text in one compressed response).
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
        });
        builder.Services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        builder.Services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return builder;
    }

    /// <summary>
    /// Maps the routes and puts response compression in front of those marked <see cref="CompressResponse"/> only:
    /// download links (bearer secrets) and zips (already compressed) stay uncompressed.
    /// </summary>
    public static WebApplication MapDocumentSync(this WebApplication app)
    {
        app.UseWhen(
            context => context.GetEndpoint()?.Metadata.GetMetadata<CompressResponse>() is not null,
            branch => branch.UseResponseCompression());
        app.MapDocumentSyncApi();
        return app;
    }
}
