using System.Net;

namespace RealtimeSync.Client;

/// <summary>The server refused a request; carries its problem details.</summary>
public sealed class SyncServerException : Exception
{
    /// <summary>Creates the exception from a problem-details answer.</summary>
    /// <param name="status">HTTP status.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    /// <param name="field">The field it names.</param>
    /// <param name="retryAfter">The <c>Retry-After</c> delay of a 429 or 503.</param>
    public SyncServerException(HttpStatusCode status, string? title, string? detail, string? field, TimeSpan? retryAfter)
        : base($"{(int)status} {title ?? status.ToString()}: {detail}{(field is null ? "" : $" (field: {field})")}")
    {
        Status = status;
        Title = title;
        Detail = detail;
        Field = field;
        RetryAfter = retryAfter;
    }

    /// <summary>HTTP status.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The problem's title.</summary>
    public string? Title { get; }

    /// <summary>The problem's detail.</summary>
    public string? Detail { get; }

    /// <summary>The field the problem names.</summary>
    public string? Field { get; }

    /// <summary>How long the server asks to wait (429).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Whether trying again later can help (rate limit, server error).</summary>
    public bool IsTransient => Status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)Status >= 500;
}
