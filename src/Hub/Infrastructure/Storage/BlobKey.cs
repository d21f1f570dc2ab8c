namespace RealtimeSync.Hub.Infrastructure.Storage;

/// <summary>
/// Blob keys become file paths in the local store, so they are restricted to '/'-separated
/// segments of [A-Za-z0-9._=-], none of them "." or "..".
/// </summary>
public static class BlobKey
{
    public const int MaxLength = 512;

    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength)
        {
            return false;
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
            {
                return false;
            }

            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '=' or '-'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    public static void Validate(string key)
    {
        if (!IsValid(key))
        {
            throw new ArgumentException($"'{key}' is not a valid blob key.", nameof(key));
        }
    }
}
