using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Admin.Components.Tests;

/// <summary>A bUnit context with MudBlazor's services and the popover/dialog providers a page has in MainLayout.</summary>
public abstract class AdminComponentTest : BunitContext, IAsyncLifetime
{
    // MudBlazor's services are async-disposable only; xunit 2 disposes through IAsyncLifetime first.
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    protected AdminComponentTest()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    /// <summary>Signs <paramref name="user"/> of tenant demo in with <paramref name="role"/>.</summary>
    protected void SignIn(string user, string role)
    {
        var auth = AddAuthorization();
        auth.SetAuthorized(user);
        auth.SetRoles(role);
        auth.SetClaims(new Claim(ClaimNames.Tenant, "demo"));
    }

    /// <summary>Renders the providers a page finds in MainLayout (popovers of pickers and selects, dialogs), as an interactive server circuit.</summary>
    protected void RenderProviders()
    {
        // After every service is registered: this builds the service provider. Pages read RendererInfo (data-live).
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        Render<MudPopoverProvider>();
        Render<MudDialogProvider>();
    }
}
