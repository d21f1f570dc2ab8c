using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace RealtimeSync.Shared.Entities;

/// <summary>
/// Entity ids (and sync client ids): 1-100 letters, digits, '.', '_' or '-', but never the path segments "." or
/// "..". Anchored with <c>\A</c>/<c>\z</c>: <c>$</c> also matches before a final newline, which let "probe\n" in.
/// </summary>
public static partial class EntityId
{
    /// <summary>What a client is told when an id is refused.</summary>
    public const string Rule = "must be 1-100 characters of letters, digits, '.', '_' or '-', and not '.' or '..'";

    /// <summary>True when <paramref name="value"/> is a well-formed entity id.</summary>
    public static bool IsValid([NotNullWhen(true)] string? value) => value is not (null or "." or "..") && Pattern().IsMatch(value);

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,100}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
