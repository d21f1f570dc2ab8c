using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Hub.Infrastructure.Auth;

/// <summary>Marks an unsafe-method endpoint that only reads (a POST carrying a query), so readers may call it.</summary>
public sealed class AllowReadersMetadata
{
    public static readonly AllowReadersMetadata Instance = new();

    private AllowReadersMetadata()
    {
    }
}

/// <summary>
/// The one write rule of a route group: every endpoint whose methods are not all safe (GET, HEAD) needs
/// <see cref="Roles.CanWrite"/> (editor or admin), unless it is marked <see cref="AllowReaders"/>. Applied to the
/// group rather than checked per handler, so an endpoint added later is protected without anyone remembering to.
/// A refused caller gets the same 403 problem everywhere: title "Read-only role", field <c>role</c>.
/// </summary>
public static class WritePolicy
{
    public static RouteGroupBuilder RequireWriterForChanges(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter((invocation, next) =>
        {
            var http = invocation.HttpContext;
            var reads = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
                || http.GetEndpoint()?.Metadata.GetMetadata<AllowReadersMetadata>() is not null;
            return reads || Roles.CanWrite(http.User) ? next(invocation) : ValueTask.FromResult<object?>(ApiProblem.ReadOnlyRole());
        });
        return group;
    }

    /// <summary>Opts a POST that only reads out of <see cref="RequireWriterForChanges"/>.</summary>
    public static RouteHandlerBuilder AllowReaders(this RouteHandlerBuilder endpoint) => endpoint.WithMetadata(AllowReadersMetadata.Instance);
}
