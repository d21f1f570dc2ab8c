using System.Collections.Concurrent;

namespace RealtimeSync.Hub.Backoffice;

/// <summary><c>Login:</c> settings of the backoffice sign-in throttle.</summary>
public sealed class LoginThrottleOptions
{
    public const string Section = "Login";

    /// <summary>Wrong passwords in a row a user name may have before it is locked.</summary>
    public int MaxFailures { get; set; } = 5;

    /// <summary>First lockout; each further failure doubles it.</summary>
    public int LockoutSeconds { get; set; } = 30;

    /// <summary>Longest lockout.</summary>
    public int MaxLockoutSeconds { get; set; } = 900;
}

/// <summary>
/// Failed sign-ins per user name (known or not, so a lockout says nothing about whether the name exists). After
/// <see cref="LoginThrottleOptions.MaxFailures"/> failures the name is locked with a delay that doubles per further
/// failure; while locked even the right password is refused. A success clears the count. Per node, in memory: an
/// attacker spreading guesses over N nodes gets N times the budget, still a few guesses a minute.
/// </summary>
public sealed class LoginThrottle(TimeProvider clock, Microsoft.Extensions.Options.IOptionsMonitor<LoginThrottleOptions> options)
{
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset LockedUntil)> state = new(StringComparer.OrdinalIgnoreCase);

    public bool IsLocked(string userName) =>
        state.TryGetValue(userName, out var entry) && entry.LockedUntil > clock.GetUtcNow();

    public void Failed(string userName)
    {
        var settings = options.CurrentValue;
        state.AddOrUpdate(userName, _ => Next(0), (_, entry) => Next(entry.Failures));

        (int, DateTimeOffset) Next(int failures)
        {
            var count = failures + 1;
            if (count < settings.MaxFailures)
            {
                return (count, DateTimeOffset.MinValue);
            }

            var seconds = Math.Min(settings.MaxLockoutSeconds, settings.LockoutSeconds * Math.Pow(2, Math.Min(30, count - settings.MaxFailures)));
            return (count, clock.GetUtcNow().AddSeconds(seconds));
        }
    }

    public void Succeeded(string userName) => state.TryRemove(userName, out _);
}
