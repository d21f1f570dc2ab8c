namespace RealtimeSync.Hub.Infrastructure.Http;

/// <summary>
/// Headers every response of the hub carries. The backoffice is never framed by anyone: ONLYOFFICE does not frame
/// the hub, the hub frames Document Server (the editor page hosts its iframe), which is <c>frame-src</c> on the
/// Document Server's origin, not <c>frame-ancestors</c> here. Stored files set their own, stricter policy
/// (<see cref="StoredFiles"/>), which is left as it is.
/// </summary>
public static class SecurityHeaders
{
    public const string FramePolicy = "frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpResponse)state).Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            if (string.IsNullOrEmpty(headers.ContentSecurityPolicy))
            {
                headers.ContentSecurityPolicy = FramePolicy;
            }

            return Task.CompletedTask;
        }, context.Response);
        return next(context);
    });
}
