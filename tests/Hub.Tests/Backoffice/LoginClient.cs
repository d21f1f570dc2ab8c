using System.Net;
using System.Text.RegularExpressions;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Backoffice;

/// <summary>The backoffice sign-in form posted the way a browser posts it (antiforgery token and cookie included).</summary>
internal sealed partial class LoginClient(HubApp app) : IDisposable
{
    private readonly HttpClient http = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public async Task<HttpResponseMessage> SignInAsync(string userName, string password, string? returnUrl = null)
    {
        var path = returnUrl is null ? "/login" : "/login?returnUrl=" + Uri.EscapeDataString(returnUrl);
        var page = await http.GetStringAsync(path);
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            ["_handler"] = "login",
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
        });
        return await http.PostAsync(path, form);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => http.GetAsync(path);

    /// <summary>True when the response is the successful sign-in (a redirect away from the form with the cookie).</summary>
    public static bool SignedIn(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther
        && response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("rs.admin=", StringComparison.Ordinal));

    public void Dispose() => http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
