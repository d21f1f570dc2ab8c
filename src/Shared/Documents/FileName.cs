using System.Globalization;

namespace RealtimeSync.Shared.Documents;

/// <summary>
/// Names of uploaded files. They come back as download names and as zip entry names, so a name is one path
/// segment: the part after the last '/' or '\' (a Windows path is not a name), no invisible formatting characters
/// (a right-to-left override turns "gpj.exe" into what looks like "exe.jpg"), never "." or "..".
/// </summary>
public static class FileName
{
    /// <summary>Longest accepted name.</summary>
    public const int MaxLength = 255;

    /// <summary>What a client is told when a name is refused.</summary>
    public const string Rule = "The file name must be 1-255 printable characters, not '.' or '..', with no control characters.";

    /// <summary>The cleaned name, or null when nothing usable is left (or the name has control characters).</summary>
    public static string? Clean(string? name)
    {
        if (name is null || name.Any(char.IsControl))
        {
            return null;
        }

        var last = name[(name.LastIndexOfAny(['/', '\\']) + 1)..];
        var visible = string.Concat(last.Where(c => CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.Format)).Trim();
        return visible is { Length: > 0 and <= MaxLength } and not ("." or "..") ? visible : null;
    }
}
