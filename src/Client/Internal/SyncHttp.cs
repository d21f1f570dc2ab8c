using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RealtimeSync.Client.Internal;

/// <summary>The HTTP calls of the sync API; a refusal becomes a <see cref="SyncServerException"/> with the problem details.</summary>
internal sealed class SyncHttp(HttpClient http) : IDisposable
{
    public Task<JsonObject> PostAsync(string path, JsonObject body, CancellationToken ct) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") }, ct);

    public Task<JsonObject> GetAsync(string path, CancellationToken ct) => SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), ct);

    public async Task<HttpResponseMessage> RawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await ProblemAsync(response, ct);
            }
        }

        return response;
    }

    public void Dispose() => http.Dispose();

    private async Task<JsonObject> SendAsync(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        using var message = request();
        using var response = await RawAsync(message, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return JsonNode.Parse(text) as JsonObject ?? throw new SyncServerException(response.StatusCode, "Unexpected answer", "The server answered something other than a JSON object.", null, null);
    }

    internal static async Task<SyncServerException> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string? title = null, detail = null, field = null;
        try
        {
            if (JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) is JsonObject problem)
            {
                title = Text(problem["title"]);
                detail = Text(problem["detail"]);
                field = Text(problem["field"]);
                if (detail is null && problem["errors"] is JsonObject errors)
                {
                    detail = string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value is JsonArray a ? a.Select(Text) : [])}"));
                    field ??= errors.FirstOrDefault().Key;
                }
            }
        }
        catch (JsonException)
        {
            // not problem details (a proxy's page): the status says enough
        }

        return new SyncServerException(response.StatusCode, title ?? response.ReasonPhrase, detail, field, RetryAfter(response.Headers.RetryAfter));
    }

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header) =>
        header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString();

    internal static bool IsOffline(Exception e) => e is HttpRequestException { StatusCode: null } or System.Net.Sockets.SocketException or TaskCanceledException { InnerException: TimeoutException }
        || e is SyncServerException { Status: HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout };
}
