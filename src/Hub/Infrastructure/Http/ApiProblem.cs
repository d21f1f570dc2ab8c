using Microsoft.AspNetCore.Http.HttpResults;

namespace RealtimeSync.Hub.Infrastructure.Http;

/// <summary>
/// The one way an endpoint answers a failure a client caused: a problem-details response whose <c>field</c>
/// extension names what to fix (a property, a query parameter, a header, <c>body</c> or <c>role</c>).
/// </summary>
public static class ApiProblem
{
    public static ProblemHttpResult Of(int status, string title, string detail, string field, IReadOnlyDictionary<string, object?>? extensions = null)
    {
        var all = new Dictionary<string, object?> { ["field"] = field };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                all[key] = value;
            }
        }

        return TypedResults.Problem(statusCode: status, title: title, detail: detail, extensions: all);
    }

    /// <summary>The 403 of a reader (viewer, subscriber) on a write endpoint.</summary>
    public static ProblemHttpResult ReadOnlyRole(string detail = "Writing needs the editor or admin role.") =>
        Of(StatusCodes.Status403Forbidden, "Read-only role", detail, "role");
}
