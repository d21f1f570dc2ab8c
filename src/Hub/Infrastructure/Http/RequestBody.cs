using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;

namespace RealtimeSync.Hub.Infrastructure.Http;

/// <summary>
/// The one way the host reads a JSON request body. The body is buffered (the host's
/// <c>Limits:MaxRequestBodyBytes</c>, or a smaller per-endpoint cap, bounds it), then checked strictly before any
/// endpoint sees it: valid UTF-8, no duplicate property names, no lone UTF-16 surrogates in <c>\u</c> escapes.
/// System.Text.Json accepts all three while parsing and only fails later, when a value is read (an
/// <see cref="InvalidOperationException"/> or <see cref="ArgumentException"/> deep in a handler: a 500, which
/// Document Server answers by retrying forever). Every such refusal is a 400 problem naming <c>body</c>. Then the body
/// is bound to the endpoint's typed request record; there is no untyped read, so a new endpoint gets the closed
/// contract (unknown members refused) by default and has to opt into <see cref="BodyContract.Open"/> deliberately.
/// </summary>
public static class RequestBody
{
    public const string Field = "body";

    private static readonly JsonDocumentOptions StrictDocument = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    /// <summary>
    /// Typed request records of our own API: web naming, closed contract (a member the record does not have is
    /// refused, so a misspelt <c>baseVersion</c> cannot silently turn a conditional write into a blind one), no duplicates.
    /// </summary>
    public static readonly JsonSerializerOptions Closed = new(JsonSerializerDefaults.Web)
    {
        AllowDuplicateProperties = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,

        // The web defaults read "900" as 900 and match names in any case; here a number sent as a string is a wrong
        // type and "ClientId" is not "clientId", as when the endpoints read members by hand. Case-insensitive matching
        // would also reach into free-form JsonObject members (entity fields, outbox events: "entityID" = "entityId").
        NumberHandling = JsonNumberHandling.Strict,
        PropertyNameCaseInsensitive = false,
    };

    /// <summary>
    /// Bodies another product defines (Document Server's callback): members we do not use are skipped, because that
    /// product sends many and adds more in new releases; refusing them would end its retries and drop the user's edits.
    /// The members we do read are still typed: a wrong type is refused naming the member.
    /// </summary>
    public static readonly JsonSerializerOptions Open = new(JsonSerializerDefaults.Web)
    {
        AllowDuplicateProperties = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
        PropertyNameCaseInsensitive = false,
    };

    /// <summary>
    /// Reads a JSON object body into the typed request record <typeparamref name="T"/> (<see cref="Closed"/> unless
    /// <see cref="BodyContract.Open"/>). <paramref name="shape"/> describes the body in problems. An unknown member or a
    /// member of the wrong type is a 400 problem whose <c>field</c> (and <c>errors</c> key) is the member. With
    /// <see cref="BodyContract.Optional"/>, an empty body is <c>(null, null)</c>.
    /// </summary>
    public static async Task<(T? Body, ProblemHttpResult? Error)> ReadAsync<T>(HttpRequest request, CancellationToken ct, string shape, BodyContract? contract = null)
        where T : class
    {
        contract ??= BodyContract.Default;
        var (bytes, error) = await ReadBytesAsync(request, ct, contract.RequireJsonContentType, contract.MaxBytes, contract.Optional);
        if (error is not null)
        {
            return (null, error);
        }

        if (bytes is null)
        {
            return contract.Optional ? (null, null) : (null, Empty(shape, contract.ShapeField));
        }

        return Bind<T>(bytes, shape, contract);
    }

    /// <summary>
    /// Binds an already parsed JSON object (a verified token's payload) to <typeparamref name="T"/> with the same
    /// strict checks and problems as a body.
    /// </summary>
    public static (T? Body, ProblemHttpResult? Error) Bind<T>(JsonNode node, string shape, BodyContract? contract = null)
        where T : class =>
        Bind<T>(JsonSerializer.SerializeToUtf8Bytes(node), shape, contract ?? BodyContract.Default);

    private static (T? Body, ProblemHttpResult? Error) Bind<T>(byte[] bytes, string shape, BodyContract contract)
        where T : class
    {
        if (Validate(bytes, out var rootKind) is { } invalid)
        {
            return (null, invalid);
        }

        if (rootKind != JsonValueKind.Object)
        {
            return (null, Empty(shape, contract.ShapeField));
        }

        var options = contract.Open ? Open : Closed;
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, options) is { } body ? (body, null) : (null, Empty(shape, contract.ShapeField));
        }
        catch (JsonException e)
        {
            return (null, Refused<T>(e, shape, contract, options));
        }
    }

    /// <summary>
    /// The problem for a body the record cannot take. The exception's path names the member ("$.basVersion",
    /// "$.entityTypes[1]"); whether it is unknown or of the wrong type is decided by the record's own members, not by
    /// the exception's wording.
    /// </summary>
    private static ProblemHttpResult Refused<T>(JsonException e, string shape, BodyContract contract, JsonSerializerOptions options)
    {
        if (Member(e.Path) is not { } member)
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, contract.Title, $"The body must be {shape}.", Field);
        }

        var cut = member.IndexOfAny(['[', '.']);
        var root = cut >= 0 ? member[..cut] : member;
        var known = options.GetTypeInfo(typeof(T)).Properties.Any(p => string.Equals(p.Name, root, StringComparison.Ordinal));
        var message = !known
            ? $"is not a known property (the body is {shape})"
            : contract.Rules?.GetValueOrDefault(member) ?? contract.Rules?.GetValueOrDefault(root) ?? $"has the wrong type (the body is {shape})";
        return ApiProblem.Of(StatusCodes.Status400BadRequest, contract.Title, $"{member} {message}.", member,
            new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [member] = [message] } });
    }

    /// <summary>"$.a[1]" → "a[1]", "$['a b']" → "a b", "$" → null.</summary>
    private static string? Member(string? path)
    {
        if (path is null || path.Length < 3)
        {
            return null;
        }

        if (path.StartsWith("$.", StringComparison.Ordinal))
        {
            return path[2..];
        }

        var close = path.StartsWith("$['", StringComparison.Ordinal) ? path.IndexOf("']", 3, StringComparison.Ordinal) : -1;
        return close > 3 ? path[3..close] + path[(close + 2)..] : null;
    }

    private static ProblemHttpResult Empty(string shape, string field) =>
        ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid body", $"The body must be {shape}.", field);

    private static async Task<(byte[]? Bytes, ProblemHttpResult? Error)> ReadBytesAsync(
        HttpRequest request, CancellationToken ct, bool requireJsonContentType, long? maxBytes, bool optional)
    {
        // The server feature caps the stream at Limits:MaxRequestBodyBytes (HttpSetup); maxBytes is a tighter cap.
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (maxBytes is { } max && buffer.Length + read > max)
            {
                return (null, ApiProblem.Of(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"The limit is {max} bytes.", Field));
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0 && optional)
        {
            return (null, null);
        }

        if (requireJsonContentType && !request.HasJsonContentType())
        {
            return (null, ApiProblem.Of(StatusCodes.Status415UnsupportedMediaType, "JSON expected",
                optional ? "Send the body as application/json, or no body at all." : "Send the body as application/json.", Field));
        }

        return (buffer.ToArray(), null);
    }

    /// <summary>Strict checks the parser leaves to the first read of a value; null when the body passes.</summary>
    private static ProblemHttpResult? Validate(byte[] bytes, out JsonValueKind rootKind)
    {
        rootKind = JsonValueKind.Undefined;
        if (!Utf8.IsValid(bytes))
        {
            return Unreadable("The body is not valid UTF-8.");
        }

        try
        {
            using var document = JsonDocument.Parse(bytes, StrictDocument);
            rootKind = document.RootElement.ValueKind;
            return HasLoneSurrogate(document.RootElement) ? Unreadable("The body contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape).") : null;
        }
        catch (JsonException e) when (e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase))
        {
            return Unreadable($"The body repeats a property name: {e.Message}");
        }
        catch (JsonException e)
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "Malformed JSON", $"The body is not valid JSON: {e.Message}", Field);
        }
    }

    private static bool HasLoneSurrogate(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return false;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        if (HasLoneSurrogate(item))
                        {
                            return true;
                        }
                    }

                    return false;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        if (HasLoneSurrogate(property.Value))
                        {
                            return true;
                        }
                    }

                    return false;
                default:
                    return false;
            }
        }
        catch (InvalidOperationException)
        {
            // "Cannot read invalid UTF-16 JSON text as string": an unpaired surrogate escape.
            return true;
        }
    }

    private static ProblemHttpResult Unreadable(string detail) =>
        ApiProblem.Of(StatusCodes.Status400BadRequest, "Unreadable body", detail, Field);
}

/// <summary>How <see cref="RequestBody.ReadAsync{T}"/> reads one endpoint's body.</summary>
public sealed record BodyContract
{
    public static readonly BodyContract Default = new();

    /// <summary>The title of a refusal (e.g. "Invalid sync request").</summary>
    public string Title { get; init; } = "Invalid body";

    /// <summary>What a member of the wrong type is told, by member name ("baseVersion" → "must be a whole number ≥ 0").</summary>
    public IReadOnlyDictionary<string, string>? Rules { get; init; }

    /// <summary>An empty body is allowed (read as null).</summary>
    public bool Optional { get; init; }

    /// <summary>Other content types get a 415 (Document Server's callback sends none).</summary>
    public bool RequireJsonContentType { get; init; } = true;

    /// <summary>A cap tighter than the host's <c>Limits:MaxRequestBodyBytes</c>.</summary>
    public long? MaxBytes { get; init; }

    /// <summary>The field a readable body that is not an object is blamed on (<c>body</c> unless the contract names its one property).</summary>
    public string ShapeField { get; init; } = RequestBody.Field;

    /// <summary>Skip unknown members (<see cref="RequestBody.Open"/>): only for bodies another product defines.</summary>
    public bool Open { get; init; }
}
