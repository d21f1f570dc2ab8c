using System.Diagnostics;
using Xunit;

namespace RealtimeSync.Testing;

/// <summary>
/// Polls a condition until it holds, or fails the test naming what it waited for once the time is up. The one
/// polling helper of the test projects (each suite had its own copy with its own deadline and message).
/// </summary>
public static class Eventually
{
    public static Task HoldsAsync(Func<bool> condition, string what, int seconds = 15) =>
        HoldsAsync(() => Task.FromResult(condition()), what, seconds);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, int seconds = 15)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), $"{what}: not within {seconds} s");
            await Task.Delay(20);
        }
    }
}
