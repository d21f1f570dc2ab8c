using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using MudBlazor.Services;
using RealtimeSync.Admin;
using RealtimeSync.Admin.Dashboard;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Config;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.SiteKeys;
using RealtimeSync.Hub.Sync;

namespace RealtimeSync.Hub.Backoffice;

public static class BackofficeSetup
{
    /// <summary>The Blazor Server backoffice from src/Admin.Blazor, on MudBlazor (Material theme).</summary>
    public static WebApplicationBuilder AddBackoffice(this WebApplicationBuilder builder)
    {
        // Serves _content/* of MudBlazor and the admin library from their packages in every environment,
        // not only Development (`dotnet run` without a launch profile runs as Production).
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddMudServices();
        builder.Services.AddScoped<NodeHistory>();
        builder.Services.AddScoped<RealtimeSync.Admin.Documents.DocumentDetailsState>();
        builder.Services.AddScoped<IAdminAccounts, AdminAccounts>();
        builder.Services.AddOptions<LoginThrottleOptions>().BindConfiguration(LoginThrottleOptions.Section);
        builder.Services.AddSingleton<LoginThrottle>();
        builder.AddLoginRateLimit();
        builder.Services.AddScoped<INodeStatusSource, NodeStatusSource>();
        builder.Services.AddScoped<IClusterStatusSource, ClusterStatusSource>();
        builder.Services.AddSingleton<IEntityEditing, EntityEditing>();
        builder.Services.AddSingleton<ISiteKeyAdmin, SiteKeyAdmin>();
        builder.Services.AddSingleton<ISyncAdmin, SyncAdmin>();
        builder.Services.AddSingleton<IDocumentAdmin, DocumentAdmin>();
        builder.Services.AddSingleton<IConfigAdmin, ConfigAdmin>();
        return builder;
    }

    public static WebApplication MapBackoffice(this WebApplication app)
    {
        // Nobody frames the backoffice (ONLYOFFICE is framed by it, not the other way round): 'none', not Blazor's default 'self'.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = "'none'");
        app.MapPost("/account/logout", SignOutAsync).ExcludeFromDescription();
        app.MapDocumentDownloads();
        return app;
    }

    // [FromForm] makes the endpoint validate the antiforgery token the layout's form carries.
    private static async Task<IResult> SignOutAsync(HttpContext context, [FromForm] string? returnUrl)
    {
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.LocalRedirect("/login");
    }
}
