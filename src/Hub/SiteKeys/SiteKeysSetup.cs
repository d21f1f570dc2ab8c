namespace RealtimeSync.Hub.SiteKeys;

/// <summary>Site keys and the subscriber tokens they mint for frontend sites (README "Frontend sites").</summary>
public static class SiteKeysSetup
{
    public static WebApplicationBuilder AddSiteKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SiteTokenOptions>()
            .BindConfiguration(SiteTokenOptions.Section)
            .Validate(
                o => o.MaxTtlSeconds is >= SiteTokenOptions.MinTtlSeconds and <= SiteTokenOptions.MaxTtlCeilingSeconds,
                $"SiteTokens:MaxTtlSeconds must be from {SiteTokenOptions.MinTtlSeconds} to {SiteTokenOptions.MaxTtlCeilingSeconds}.")
            .ValidateOnStart();
        builder.Services.AddScoped<SiteKeyStore>();
        builder.Services.AddSingleton<SiteTokenIssuer>();
        return builder;
    }

    /// <summary>
    /// <c>POST /api/site-tokens</c>, and the guard that keeps subscribe-scoped tokens to what a site needs.
    /// Call it after UseAuthorization (with the other Map calls): the guard reads the principal the API policy
    /// authenticated.
    /// </summary>
    public static WebApplication MapSiteKeys(this WebApplication app)
    {
        app.Use(SubscribeScopeGuard.InvokeAsync);
        app.MapSiteTokens();
        return app;
    }
}
