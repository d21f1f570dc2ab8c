using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace RealtimeSync.Hub.Infrastructure.Http;

/// <summary>
/// Behind a TLS proxy (deploy/nginx): <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c> are honoured only from the
/// proxies listed in <c>Http:ForwardedHeaders:KnownProxies</c> (addresses) and <c>KnownNetworks</c> (CIDR), none by
/// default, so a client talking to the node directly cannot claim to be HTTPS or another address. HSTS on HTTPS
/// responses (the proxy's HTTPS included) outside Development.
/// </summary>
public static class ProxySetup
{
    public const string Section = "Http:ForwardedHeaders";

    public static WebApplicationBuilder AddProxyHeaders(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The framework trusts loopback by default; a proxy is trusted only when listed.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var address in Values(configuration, "KnownProxies"))
            {
                options.KnownProxies.Add(IPAddress.TryParse(address, out var ip) ? ip
                    : throw new InvalidOperationException($"{Section}:KnownProxies: '{address}' is not an IP address."));
            }

            foreach (var network in Values(configuration, "KnownNetworks"))
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed) ? parsed
                    : throw new InvalidOperationException($"{Section}:KnownNetworks: '{network}' is not a network in CIDR notation (10.0.0.0/8)."));
            }

            // nginx appends to X-Forwarded-For; take the entries the listed proxies added, not more.
            options.ForwardLimit = null;
        });
        builder.Services.AddHsts(options => options.MaxAge = TimeSpan.FromDays(365));
        return builder;
    }

    /// <summary>First in the pipeline: logging, cookies, redirects and absolute links all see the client's scheme and address.</summary>
    public static WebApplication UseProxyHeaders(this WebApplication app)
    {
        if (Values(app.Configuration, "KnownProxies").Length + Values(app.Configuration, "KnownNetworks").Length > 0)
        {
            // With empty lists the middleware would trust every peer: it runs only when a proxy is configured.
            app.UseForwardedHeaders();
        }

        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts(); // adds the header on HTTPS requests only
        }

        return app;
    }

    /// <summary>An array section (<c>KnownProxies:0</c>…) or one comma-separated value (<c>Http__ForwardedHeaders__KnownProxies=10.0.0.2,10.0.0.3</c>).</summary>
    private static string[] Values(IConfiguration configuration, string name)
    {
        var section = configuration.GetSection($"{Section}:{name}");
        var values = section.Value is { } single ? single.Split(',') : section.GetChildren().Select(c => c.Value ?? "");
        return values.Select(v => v.Trim()).Where(v => v.Length > 0).ToArray();
    }
}
