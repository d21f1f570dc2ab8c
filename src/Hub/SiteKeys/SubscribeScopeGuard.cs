using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Realtime;

namespace RealtimeSync.Hub.SiteKeys;

/// <summary>
/// What a scope-limited token may call over HTTP. A <see cref="ChannelAccess.SubscribeScope"/> token (a
/// frontend site's) may open the hub (where <see cref="ChannelAccess"/> limits it to entities channels) and
/// read live entities: <c>GET /api/tenants/{tenant}</c> and <c>GET /api/tenants/{tenant}/entities/...</c> (not
/// <c>/changes</c>, not <c>includeDeleted</c>), because a site needs the initial state before it applies pushes. Anything else is a 403 problem naming <c>scope</c>, so
/// a route added later stays closed to site tokens unless it is listed here. Tenant and role checks still
/// apply after this (another tenant is 403 from the tenant filter; writes need editor).
/// </summary>
internal static class SubscribeScopeGuard
{
    /// <summary>
    /// Runs after UseAuthorization: for endpoints behind the API policy the principal is then the bearer
    /// token's; everywhere else it is the cookie's (or anonymous), which never carries a scope.
    /// </summary>
    public static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var scope = context.User.FindFirst(ChannelAccess.ScopeClaim)?.Value;
        if (string.IsNullOrEmpty(scope) || (Allows(scope, context.Request.Method, context.Request.Path) && !context.Request.Query.ContainsKey("includeDeleted")))
        {
            return next(context);
        }

        var log = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SubscribeScopeGuard));
        SiteKeysLog.RefusedByScope(log, context.User.FindFirst(ClaimNames.Subject)?.Value, context.User.FindFirst(ClaimNames.Tenant)?.Value, scope,
            context.Request.Method, context.Request.Path.Value ?? "");
        return ApiProblem.Of(
            StatusCodes.Status403Forbidden,
            "Outside the token's scope",
            $"A token with scope '{scope}' may subscribe to entities channels and read live entities (no change feed, no includeDeleted); it cannot {context.Request.Method} {context.Request.Path}{context.Request.QueryString}.",
            "scope").ExecuteAsync(context);
    }

    public static bool Allows(string scope, string method, PathString path)
    {
        if (!string.Equals(scope, ChannelAccess.SubscribeScope, StringComparison.Ordinal))
        {
            return false;
        }

        if (path.StartsWithSegments("/hubs/sync"))
        {
            return true;
        }

        if (!(HttpMethods.IsGet(method) || HttpMethods.IsHead(method)) || !path.StartsWithSegments("/api/tenants", out var rest))
        {
            return false;
        }

        // Live public data only: the change feed carries actors and client ids, and deleted rows (includeDeleted,
        // refused above) are not public any more.
        var segments = (rest.Value ?? "").Trim('/').Split('/');
        return segments is [{ Length: > 0 }] or [{ Length: > 0 }, "entities", { Length: > 0 }] or [{ Length: > 0 }, "entities", { Length: > 0 }, not "changes", ..];
    }
}
