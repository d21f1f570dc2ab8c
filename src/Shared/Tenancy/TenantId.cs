using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace RealtimeSync.Shared.Tenancy;

/// <summary>
/// Tenant identifiers appear in URLs, channel names and blob keys, so they are restricted to a
/// lowercase slug: a letter or digit, then letters, digits or '-', at most 63 characters.
/// </summary>
public static partial class TenantId
{
    /// <summary>Longest accepted tenant id.</summary>
    public const int MaxLength = 63;

    /// <summary>True when <paramref name="value"/> is a well-formed tenant id.</summary>
    public static bool IsValid([NotNullWhen(true)] string? value) =>
        value is { Length: > 0 and <= MaxLength } && Pattern().IsMatch(value);

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
