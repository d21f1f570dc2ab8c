using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RealtimeSync.Testing;

namespace RealtimeSync.Admin.Tests;

/// <summary>Debian's Chromium driven by Playwright (Playwright's own browser download is never used), and pages on it.</summary>
internal static class Chromium
{
    // Every test reaches a page through this class first. Web-first assertions then wait as long as the pages' other
    // waits (SetDefaultTimeout below), not Playwright's 5 s: they check an eventual state, and a shared 2-core machine
    // running the whole suite can take longer. Bounds a test is about are given where they are checked.
    static Chromium() => Assertions.SetDefaultExpectTimeout(15_000);

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright, params string[] extraArgs) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = TestServers.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", .. extraArgs],
        });

    /// <summary>A fresh browser profile (no cookies) on <paramref name="app"/>, whose console and page errors are collected.</summary>
    public static async Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> NewPageAsync(IBrowser browser, Uri app, bool acceptDownloads = false)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.ToString().TrimEnd('/'), AcceptDownloads = acceptDownloads });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        return (context, page, errors);
    }

    /// <summary>
    /// Waits until the page's URL has the path <paramref name="path"/> (any query or fragment), however it got there.
    /// Not <c>WaitForURLAsync</c>: it checks the URL, then subscribes to navigations, and loses one that lands in
    /// between (microsoft/playwright-dotnet#3364), as a Blazor navigation right after a click does under load.
    /// This assertion polls the page's URL in the driver until it matches.
    /// </summary>
    public static Task WaitForPathAsync(this IPage page, string path) =>
        Assertions.Expect(page).ToHaveURLAsync(
            new Regex("^[a-z]+://[^/?#]+" + Regex.Escape(path) + "([?#].*)?$"),
            new PageAssertionsToHaveURLOptions { Timeout = 15_000 });
}
