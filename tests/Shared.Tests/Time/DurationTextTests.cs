using RealtimeSync.Shared.Time;

namespace RealtimeSync.Shared.Tests.Time;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("7d", 604800)]
    [InlineData("2H", 7200)]
    public void Parses_the_short_forms(string text, int seconds)
    {
        Assert.True(DurationText.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("h")]
    [InlineData("0h")]
    [InlineData("-1h")]
    [InlineData("1.5h")]
    [InlineData("10")]
    [InlineData("10w")]
    [InlineData("forever")]
    [InlineData("99999999999999999d")]
    public void Refuses_anything_else(string? text)
    {
        Assert.False(DurationText.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.Zero, duration);
    }
}
