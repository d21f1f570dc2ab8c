using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RealtimeSync.Hub.Documents.Internal;

namespace RealtimeSync.Hub.Documents;

/// <summary>Talks to Document Server: the Command Service, and downloads of edited files from its origin only.</summary>
public sealed class DocumentServerClient(IHttpClientFactory http, IOptionsMonitor<OnlyOfficeOptions> options, TimeProvider clock)
{
    public const string HttpClientName = "onlyoffice";

    /// <summary>Command Service <c>forcesave</c>: 0 = accepted (a status-6 callback follows), 4 = nothing to save, other = error.</summary>
    public async Task<int> ForceSaveAsync(string key, CancellationToken ct)
    {
        var answer = await CommandAsync(new JsonObject { ["c"] = "forcesave", ["key"] = key }, ct);
        return answer?["error"] is JsonValue error && error.TryGetValue<int>(out var code) ? code : -1;
    }

    /// <summary>
    /// Command Service <c>version</c>, signed like every command: Document Server's version when it answers with error 0.
    /// Throws <see cref="HttpRequestException"/> when it cannot be reached, <see cref="InvalidOperationException"/> when
    /// it refuses the command (error 6: the JWT secret differs).
    /// </summary>
    public async Task<string> VersionAsync(CancellationToken ct)
    {
        var answer = await CommandAsync(new JsonObject { ["c"] = "version" }, ct);
        var code = answer?["error"] is JsonValue error && error.TryGetValue<int>(out var c) ? c : -1;
        if (code != 0)
        {
            throw new InvalidOperationException(code == 6 ? "Document Server refused the command's token (error 6): OnlyOffice:JwtSecret differs from its secret." : $"Document Server answered the version command with error {code}.");
        }

        return answer?["version"]?.GetValue<string>() ?? "unknown";
    }

    private async Task<JsonObject?> CommandAsync(JsonObject body, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var server = settings.DocumentServer ?? throw new InvalidOperationException("OnlyOffice:DocumentServerUrl is not configured.");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, settings.CommandPath));
        if (settings.JwtSecret.Length > 0)
        {
            var now = clock.GetUtcNow();
            var signed = (JsonObject)body.DeepClone();
            signed["iat"] = now.ToUnixTimeSeconds();
            signed["exp"] = now.AddMinutes(5).ToUnixTimeSeconds();
            body["token"] = OnlyOfficeJwt.Sign(signed, settings.JwtSecret);
            var headerToken = OnlyOfficeJwt.Sign(new JsonObject { ["payload"] = signed.DeepClone(), ["iat"] = signed["iat"]!.DeepClone(), ["exp"] = signed["exp"]!.DeepClone() }, settings.JwtSecret);
            if (string.Equals(settings.JwtHeader, "Authorization", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", headerToken);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(settings.JwtHeader, $"Bearer {headerToken}");
            }
        }

        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) as JsonObject;
    }

    /// <summary>True when <paramref name="url"/> is on the configured Document Server's origin (scheme, host, port).</summary>
    public bool IsDocumentServerUrl(Uri url) =>
        options.CurrentValue.DocumentServer is { } server
        && url.IsAbsoluteUri
        && string.Equals(url.Scheme, server.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(url.IdnHost, server.IdnHost, StringComparison.OrdinalIgnoreCase)
        && url.Port == server.Port
        && string.IsNullOrEmpty(url.UserInfo);

    /// <summary>Opens the edited file (redirects are not followed, so the origin check cannot be bypassed).</summary>
    public async Task<HttpResponseMessage> DownloadAsync(Uri url, CancellationToken ct)
    {
        if (!IsDocumentServerUrl(url))
        {
            throw new InvalidOperationException("Refusing to download from outside the Document Server origin.");
        }

        var response = await http.CreateClient(HttpClientName).GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new HttpRequestException($"Document Server answered {status} for the edited file.");
        }

        return response;
    }
}
