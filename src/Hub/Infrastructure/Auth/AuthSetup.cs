using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace RealtimeSync.Hub.Infrastructure.Auth;

public static class AuthSetup
{
    /// <summary>Policy for every /api route: a valid bearer token (the admin cookie is not accepted there).</summary>
    public const string ApiPolicy = "api";

    /// <summary>Cookie login for the admin; JWT bearer (HS256) for the API and subscribers.</summary>
    public static WebApplicationBuilder AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddSingleton<TokenIssuer>();

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.LoginPath = "/login";
                options.AccessDeniedPath = "/login";
                options.Cookie.Name = "rs.admin";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = true;
            })
            .AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                // The token is not needed after validation; saving it would keep a copy per hub connection.
                options.SaveToken = false;
                options.Events = new JwtBearerEvents
                {
                    // A hub connection keeps its principal for hours. The validated principal references the
                    // parsed token (header and payload claim sets, the encoded string, a second set of claims);
                    // a plain copy of the claims keeps what authorization needs and lets the rest go.
                    OnTokenValidated = context =>
                    {
                        // Only hub connections live long enough for it to matter; an API request's principal goes with it.
                        if (context.HttpContext.Request.Path.StartsWithSegments("/hubs"))
                        {
                            context.Principal = SlimPrincipal.From(context.Principal!);
                        }

                        return Task.CompletedTask;
                    },
                    // Browsers cannot set headers on WebSocket requests; SignalR sends the token as access_token.
                    OnMessageReceived = context =>
                    {
                        if (context.HttpContext.Request.Path.StartsWithSegments("/hubs")
                            && context.Request.Query["access_token"] is { Count: > 0 } token)
                        {
                            context.Token = token;
                        }

                        return Task.CompletedTask;
                    },
                };
            });

        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer>((options, issuer) => options.TokenValidationParameters = issuer.ValidationParameters());

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser());
        return builder;
    }

}
