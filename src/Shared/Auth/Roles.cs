using System.Security.Claims;

namespace RealtimeSync.Shared.Auth;

/// <summary>The roles known to the product, for the admin cookie and API tokens alike.</summary>
public static class Roles
{
    /// <summary>
    /// Runs the installation: global (cross-tenant) configuration. No tenant role implies it; an operator
    /// is granted it explicitly.
    /// </summary>
    public const string Operator = "operator";

    /// <summary>Full access to one tenant, including its users and its own settings.</summary>
    public const string Admin = "admin";

    /// <summary>May edit backoffice data.</summary>
    public const string Editor = "editor";

    /// <summary>Read-only access.</summary>
    public const string Viewer = "viewer";

    /// <summary>All roles, most powerful first.</summary>
    public static IReadOnlyList<string> All { get; } = [Operator, Admin, Editor, Viewer];

    /// <summary>True for one of <see cref="All"/> (case-sensitive: roles are data, not prose).</summary>
    public static bool IsKnown(string? role) => role is Operator or Admin or Editor or Viewer;

    /// <summary>The one "may change tenant data" rule (editor or admin), shared by the API and the backoffice.</summary>
    public static bool CanWrite(ClaimsPrincipal user) => user.IsInRole(Admin) || user.IsInRole(Editor);

    /// <summary>May change global configuration (the operator role only; a tenant admin does not imply it).</summary>
    public static bool CanOperate(ClaimsPrincipal user) => user.IsInRole(Operator);
}
