namespace RealtimeSync.Shared.Auth;

/// <summary>The roles known to the product, for the admin cookie and API tokens alike.</summary>
public static class Roles
{
    /// <summary>Full access, including users and configuration.</summary>
    public const string Admin = "admin";

    /// <summary>May edit backoffice data.</summary>
    public const string Editor = "editor";

    /// <summary>Read-only access.</summary>
    public const string Viewer = "viewer";

    /// <summary>All roles, most powerful first.</summary>
    public static IReadOnlyList<string> All { get; } = [Admin, Editor, Viewer];

    /// <summary>True for one of <see cref="All"/> (case-sensitive: roles are data, not prose).</summary>
    public static bool IsKnown(string? role) => role is Admin or Editor or Viewer;
}
