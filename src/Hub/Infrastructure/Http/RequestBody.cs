using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;

namespace RealtimeSync.Hub.Infrastructure.Http;

/// <summary>
/// The one way the host reads a JSON request body. The body is buffered (the host's
/// <c>Limits:MaxRequestBodyBytes</c>, or a smaller per-endpoint cap, bounds it), then checked strictly before any
/// endpoint sees it: valid UTF-8, no duplicate property names, no lone UTF-16 surrogates in <c>\u</c> escapes.
/// System.Text.Json accepts all three while parsing and only fails later, when a value is read (an
/// <see cref="InvalidOperationException"/> or <see cref="ArgumentException"/> deep in a handler: a 500, which
/// Document Server answers by retrying forever). Every refusal is a 400 problem naming <c>body</c>.
/// </summary>
public static class RequestBody
{
    public const string Field = "body";

    private static readonly JsonDocumentOptions StrictDocument = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    /// <summary>Typed request records: web naming, closed contract (unknown members refused), no duplicates.</summary>
    public static readonly JsonSerializerOptions Closed = new(JsonSerializerDefaults.Web)
    {
        AllowDuplicateProperties = false,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
    };

    /// <summary>
    /// Reads a JSON object body. <paramref name="optional"/>: an empty body is <c>(null, null)</c>.
    /// <paramref name="requireJsonContentType"/>: other content types get a 415 (Document Server's callback sends none).
    /// <paramref name="shapeField"/>: the field a readable body that is not an object is blamed on (<c>body</c> unless
    /// the contract names its one property, e.g. <c>documentIds</c>).
    /// </summary>
    public static async Task<(JsonObject? Body, ProblemHttpResult? Error)> ReadObjectAsync(
        HttpRequest request, CancellationToken ct, bool optional = false, bool requireJsonContentType = true, long? maxBytes = null,
        string shape = "a JSON object", string shapeField = Field)
    {
        var (bytes, error) = await ReadBytesAsync(request, ct, requireJsonContentType, maxBytes, optional);
        if (error is not null || bytes is null)
        {
            return (null, error);
        }

        if (Validate(bytes, out var rootKind) is { } invalid)
        {
            return (null, invalid);
        }

        if (rootKind != JsonValueKind.Object)
        {
            return (null, ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid body", $"The body must be {shape}.", shapeField));
        }

        // Validated above: this parse cannot fail, and no later read of the tree can throw on a key or a string.
        return (JsonNode.Parse(bytes)!.AsObject(), null);
    }

    /// <summary>Reads a body into a typed request record with a closed contract (<see cref="Closed"/>).</summary>
    public static async Task<(T? Body, ProblemHttpResult? Error)> ReadAsync<T>(HttpRequest request, CancellationToken ct, string shape)
        where T : class
    {
        var (bytes, error) = await ReadBytesAsync(request, ct, requireJsonContentType: true, maxBytes: null, optional: false);
        if (error is not null || bytes is null)
        {
            return (null, error ?? Empty(shape));
        }

        if (Validate(bytes, out var rootKind) is { } invalid)
        {
            return (null, invalid);
        }

        if (rootKind != JsonValueKind.Object)
        {
            return (null, ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid body", $"The body must be {shape}.", Field));
        }

        try
        {
            return JsonSerializer.Deserialize<T>(bytes, Closed) is { } body ? (body, null) : (null, Empty(shape));
        }
        catch (JsonException e)
        {
            // The path names the member ("$.filname" for an unknown one, "$.filename" for a wrong type).
            var member = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : Field;
            return (null, ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid body", $"The body must be {shape}: {e.Message}", member));
        }
    }

    private static ProblemHttpResult Empty(string shape) =>
        ApiProblem.Of(StatusCodes.Status400BadRequest, "Invalid body", $"The body must be {shape}.", Field);

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
