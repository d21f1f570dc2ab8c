using System.Globalization;

namespace RealtimeSync.Shared.Time;

/// <summary>
/// Parses the short durations operators type on a command line or in configuration:
/// a positive whole number followed by s, m, h or d ("90s", "15m", "1h", "7d").
/// </summary>
public static class DurationText
{
    /// <summary>Parses <paramref name="text"/>; false (and <see cref="TimeSpan.Zero"/>) when malformed or not positive.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 2)
        {
            return false;
        }

        var unit = char.ToLowerInvariant(text[^1]);
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }

        double? seconds = unit switch
        {
            's' => amount,
            'm' => amount * 60d,
            'h' => amount * 3600d,
            'd' => amount * 86400d,
            _ => null,
        };
        if (seconds is null || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds.Value);
        return true;
    }
}
