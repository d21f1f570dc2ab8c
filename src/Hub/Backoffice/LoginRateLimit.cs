using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace RealtimeSync.Hub.Backoffice;

/// <summary><c>Login:RateLimit:</c> sign-in posts one client address may make per window.</summary>
public sealed class LoginRateLimitOptions
{
    public const string Section = "Login:RateLimit";

    /// <summary>Sign-in posts per address per window (0: no limit).</summary>
    public int PermitLimit { get; set; } = 20;

    public int WindowSeconds { get; set; } = 60;
}

/// <summary>
/// Sign-in posts per client address, on top of the per-name lockout (<see cref="LoginThrottle"/>): the lockout stops
/// guessing one name, this stops one address from trying many names. The address is the connection's, or the
/// client's as reported by a configured proxy (<c>Http:ForwardedHeaders</c>). Per node, in memory, fixed window.
/// </summary>
public static class LoginRateLimit
{
    private static readonly PathString LoginPath = new("/login");

    public static WebApplicationBuilder AddLoginRateLimit(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LoginRateLimitOptions>().BindConfiguration(LoginRateLimitOptions.Section);
        builder.Services.AddRateLimiter(options =>
        {
            // A global limiter keyed by path: the sign-in page is a Razor component endpoint, which takes no per-endpoint policy.
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptionsMonitor<LoginRateLimitOptions>>().CurrentValue;
                if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.Equals(LoginPath, StringComparison.OrdinalIgnoreCase) || settings.PermitLimit <= 0)
                {
                    return RateLimitPartition.GetNoLimiter("");
                }

                var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetFixedWindowLimiter($"{address}/{settings.PermitLimit}/{settings.WindowSeconds}", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.PermitLimit,
                    Window = TimeSpan.FromSeconds(Math.Max(1, settings.WindowSeconds)),
                    QueueLimit = 0,
                });
            });
            options.OnRejected = RejectAsync;
        });
        return builder;
    }

    public static WebApplication UseLoginRateLimit(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    /// <summary>429 with Retry-After, as a page a browser that posted the form can show.</summary>
    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellation)
    {
        var response = rejected.HttpContext.Response;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? (int)Math.Ceiling(retryAfter.TotalSeconds) : 60;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        response.ContentType = "text/html; charset=utf-8";
        var message = WebUtility.HtmlEncode($"Too many sign-in attempts from your address. Try again in {seconds} seconds.");
        await response.WriteAsync(
            $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Sign in · RealtimeSync</title></head>
            <body><div class="rs-signin-card"><h1>RealtimeSync</h1>
            <div class="rs-error" role="alert" data-testid="login-error">{message}</div>
            <p><a href="/login">Back to sign in</a></p></div></body></html>
            """, cancellation);
    }
}
