using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Backoffice;

public sealed class LoginTests
{
    [Fact]
    public async Task The_sign_in_form_works_as_posted_by_a_browser()
    {
        await using var app = new HubApp();
        using var login = new LoginClient(app);
        using var wrong = await login.SignInAsync("admin", "wrong-password");
        Assert.False(LoginClient.SignedIn(wrong));
        using var right = await login.SignInAsync("admin", HubApp.AdminPassword);
        Assert.True(LoginClient.SignedIn(right), $"answered {(int)right.StatusCode}");
    }

    [Fact]
    public async Task The_seeded_account_is_the_operator_and_another_admin_of_its_tenant_is_not()
    {
        await using var app = new HubApp();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
            var user = new UserRow { Id = Guid.NewGuid().ToString("N"), UserName = "bob", PasswordHash = "", Role = "admin", TenantId = "demo", CreatedAt = DateTimeOffset.UtcNow };
            user.PasswordHash = scope.ServiceProvider.GetRequiredService<IPasswordHasher<UserRow>>().HashPassword(user, HubApp.AdminPassword);
            db.Users.Add(user);
            await db.SaveChangesAsync();
        }

        using var seeded = new LoginClient(app);
        Assert.True(LoginClient.SignedIn(await seeded.SignInAsync("admin", HubApp.AdminPassword)));
        Assert.Equal(HttpStatusCode.OK, (await seeded.GetAsync("/config")).StatusCode);

        using var tenantAdmin = new LoginClient(app);
        Assert.True(LoginClient.SignedIn(await tenantAdmin.SignInAsync("bob", HubApp.AdminPassword)));
        using var refused = await tenantAdmin.GetAsync("/config");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode); // access denied: back to the sign-in page
        Assert.StartsWith("/login", refused.Headers.Location!.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, (await tenantAdmin.GetAsync("/site-keys")).StatusCode); // still its tenant's admin
    }

    [Fact]
    public async Task Guessing_many_user_names_from_one_address_gets_429_with_retry_after_and_a_message()
    {
        await using var app = new HubApp(new Dictionary<string, string?> { ["Login:RateLimit:PermitLimit"] = "5", ["Login:RateLimit:WindowSeconds"] = "600" });
        using var login = new LoginClient(app);
        for (var i = 0; i < 5; i++)
        {
            // Different names each time: the per-name lockout never triggers, only the per-address limit can stop this.
            using var wrong = await login.SignInAsync($"guess-{i}", "wrong-password");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("Wrong user name or password.", await wrong.Content.ReadAsStringAsync());
        }

        using var limited = await login.SignInAsync("admin", HubApp.AdminPassword); // even the right password
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.False(LoginClient.SignedIn(limited));
        Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 600);
        Assert.Contains("Too many sign-in attempts from your address", await limited.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await login.GetAsync("/login")).StatusCode); // the page itself is not limited
    }

    [Fact]
    public async Task Thirty_wrong_passwords_lock_the_name_so_the_right_password_is_refused_too()
    {
        // Above the per-address limit's default (20 a minute), so the per-name lockout is what refuses here.
        await using var app = new HubApp(new Dictionary<string, string?> { ["Login:RateLimit:PermitLimit"] = "100" });
        using var login = new LoginClient(app);
        for (var i = 0; i < 30; i++)
        {
            Assert.False(LoginClient.SignedIn(await login.SignInAsync("admin", $"guess-{i}")));
        }

        using var right = await login.SignInAsync("admin", HubApp.AdminPassword);
        Assert.False(LoginClient.SignedIn(right));
        Assert.Contains("Wrong user name or password.", await right.Content.ReadAsStringAsync()); // no hint it was right
    }

    [Fact]
    public async Task An_unknown_user_name_is_answered_as_slowly_as_a_known_one()
    {
        await using var app = new HubApp();
        using var login = new LoginClient(app);
        await login.SignInAsync("warm-up", "x"); // first request compiles the page

        async Task<double> MedianAsync(string userName)
        {
            var times = new List<double>();
            for (var i = 0; i < 4; i++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                using var response = await login.SignInAsync(userName, "wrong-password");
                times.Add(clock.Elapsed.TotalMilliseconds);
                Assert.False(LoginClient.SignedIn(response));
            }

            return times.Order().ElementAt(times.Count / 2);
        }

        var known = await MedianAsync("admin");
        var unknown = await MedianAsync("nobody-" + Guid.NewGuid().ToString("N")[..6]);

        // Both pay for one PBKDF2 verification (tens of ms); without the dummy hash the unknown name took ~5% of it.
        Assert.True(unknown > known * 0.5, $"unknown {unknown:0.0} ms, known {known:0.0} ms");
    }

    [Fact]
    public async Task A_non_ascii_return_url_after_a_correct_sign_in_redirects_instead_of_a_500()
    {
        await using var app = new HubApp();
        using var login = new LoginClient(app);

        using var response = await login.SignInAsync("admin", HubApp.AdminPassword, "/é");

        Assert.True(LoginClient.SignedIn(response), $"answered {(int)response.StatusCode}");
        Assert.Equal("/%C3%A9", response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.PathAndQuery : response.Headers.Location.OriginalString);
    }

    [Fact]
    public async Task A_user_name_with_a_newline_cannot_forge_a_log_line()
    {
        var logFile = Path.Combine(Path.GetTempPath(), "rs-tests", $"log-{Guid.NewGuid():N}.json");
        await using (var app = new HubApp(new Dictionary<string, string?> { ["Logging:File"] = logFile }))
        {
            using var login = new LoginClient(app);
            using var refused = await login.SignInAsync("mallory\n[01:00:00 INF] Backoffice sign-in of admin as operator", "x");
            Assert.False(LoginClient.SignedIn(refused));
        }

        var written = Directory.GetFiles(Path.GetDirectoryName(logFile)!, Path.GetFileNameWithoutExtension(logFile) + "*").Single();
        var events = File.ReadAllLines(written).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        File.Delete(written);
        var refusal = Assert.Single(events, e => e.GetProperty("Properties").TryGetProperty("EventId", out var id) && id.GetProperty("Id").GetInt32() == 2002);
        var rendered = refusal.GetProperty("RenderedMessage").GetString()!;
        Assert.DoesNotContain('\n', rendered);
        Assert.DoesNotContain('\r', rendered);
        Assert.Contains("mallory\\n[01:00:00 INF]", rendered);
    }
}
