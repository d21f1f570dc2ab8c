namespace RealtimeSync.Hub.Entities;

public static class EntitiesSetup
{
    public static WebApplicationBuilder AddEntities(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EntityTypes>();
        builder.Services.Configure<EntityWriteOptions>(builder.Configuration.GetSection("Entities"));
        builder.Services.AddScoped<EntityStore>();
        builder.Services.AddSingleton<EntityRowCache>();
        builder.Services.AddSingleton<EntityChangeFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EntityChangeFeed>());
        return builder;
    }
}
