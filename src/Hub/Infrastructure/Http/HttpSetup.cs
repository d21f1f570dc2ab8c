using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace RealtimeSync.Hub.Infrastructure.Http;

public static class HttpSetup
{
    /// <summary>Default cap on request bodies (<c>Limits:MaxRequestBodyBytes</c>).</summary>
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Problem details for every error, body size limits, OpenAPI.</summary>
    public static WebApplicationBuilder AddHttpConventions(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier));
        builder.Services.AddOpenApi();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IConfiguration>((kestrel, configuration) =>
            kestrel.Limits.MaxRequestBodySize = MaxBody(configuration));
        return builder;
    }

    public static WebApplication UseHttpConventions(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Kestrel reports oversized or malformed requests as BadHttpRequestException carrying the right 4xx.
            StatusCodeSelector = e => e is Microsoft.AspNetCore.Http.BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseSecurityHeaders();
        app.UseStatusCodePages();
        app.Use(RejectOversizedBodies);
        return app;
    }

    /// <summary>
    /// Declared lengths are refused up front with a 413 problem; streamed bodies are capped through the
    /// server feature so every server (Kestrel, the test host) enforces the same limit.
    /// </summary>
    private static Task RejectOversizedBodies(HttpContext context, RequestDelegate next)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<BodySizeLimit>()?.Limit(context)
            ?? MaxBody(context.RequestServices.GetRequiredService<IConfiguration>());
        if (context.Request.ContentLength > limit)
        {
            HttpMetrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "body-size"));
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
                detail: $"The request body is {context.Request.ContentLength} bytes; the limit is {limit} bytes.").ExecuteAsync(context);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        return next(context);
    }

    private static long MaxBody(IConfiguration configuration) =>
        configuration.GetValue<long?>("Limits:MaxRequestBodyBytes") ?? DefaultMaxRequestBodyBytes;
}

/// <summary>Endpoint metadata replacing <c>Limits:MaxRequestBodyBytes</c> for one endpoint (e.g. uploads), evaluated per request.</summary>
public sealed class BodySizeLimit(Func<HttpContext, long> limit)
{
    public long Limit(HttpContext context) => limit(context);
}
