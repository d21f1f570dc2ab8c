using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Hub.Infrastructure.Auth;

/// <summary>
/// Every /api/tenants/{tenant}/... route: the token's tenant claim must name the tenant in the URL.
/// Checked before anything else so a foreign tenant learns nothing (not even whether an id exists).
/// </summary>
public sealed class TenantAccessFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var requested = http.Request.RouteValues["tenant"] as string;
        var granted = http.User.FindFirst(ClaimNames.Tenant)?.Value;
        if (requested is null || !string.Equals(requested, granted, StringComparison.Ordinal))
        {
            return ApiProblem.Of(StatusCodes.Status403Forbidden, "Forbidden tenant", $"This token is not valid for tenant '{requested}'.", "tenant");
        }

        return await next(context);
    }
}
