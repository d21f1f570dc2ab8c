namespace RealtimeSync.Admin.Services;

/// <summary>Where the sign-in form sends the user afterwards.</summary>
public static class ReturnUrls
{
    /// <summary>
    /// <paramref name="returnUrl"/> when it is a path on this site, escaped to ASCII (a Location header cannot carry
    /// "/é"); otherwise "/". "//evil.example" and "/\evil.example" are protocol-relative URLs in browsers.
    /// </summary>
    public static string LocalOrRoot(string? returnUrl)
    {
        if (returnUrl is not { Length: > 0 } || returnUrl[0] != '/' || (returnUrl.Length > 1 && returnUrl[1] is '/' or '\\'))
        {
            return "/";
        }

        var resolved = new Uri(new Uri("http://localhost"), returnUrl);
        return resolved.Authority == "localhost" ? resolved.PathAndQuery + resolved.Fragment : "/";
    }
}
