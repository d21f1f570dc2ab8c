using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace RealtimeSync.Testing;

/// <summary>How a stand-in callback is signed.</summary>
public enum Signing
{
    None,
    BodyToken,
    HeaderToken,
}

/// <summary>
/// A Document Server stand-in (the one allowed stand-in): a Kestrel app on 127.0.0.1 that serves "edited"
/// files on its own origin, implements the Command Service (<c>forcesave</c> → a status-6 callback, error 4
/// when nothing is to be saved) and posts callbacks with the JSON bodies the ONLYOFFICE docs define, signed
/// (HS256 with Microsoft.IdentityModel, independent of the hub's own code) in the body, the header, or not at all.
/// </summary>
public sealed class DocumentServerStandIn : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, byte[]> files = new();
    private readonly ConcurrentDictionary<string, Session> sessions = new();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private int fileDownloads;

    private DocumentServerStandIn(WebApplication app, string secret)
    {
        this.app = app;
        Secret = secret;
    }

    public string Secret { get; }

    /// <summary>What the Command Service's <c>version</c> command answers.</summary>
    public const string Version = "8.2.1.38";

    /// <summary>Signing used for the callbacks the Command Service triggers.</summary>
    public Signing CommandSigning { get; set; } = Signing.BodyToken;

    public Uri Address => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");

    /// <summary>How many edited files the hub fetched from here.</summary>
    public int FileDownloads => Volatile.Read(ref fileDownloads);

    /// <summary>Command Service requests received.</summary>
    public ConcurrentQueue<JsonObject> Commands { get; } = new();

    public static async Task<DocumentServerStandIn> StartAsync(string secret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var standIn = new DocumentServerStandIn(app, secret);
        app.MapGet("/cache/files/{name}", (string name) =>
        {
            Interlocked.Increment(ref standIn.fileDownloads);
            return standIn.files.TryGetValue(name, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound();
        });
        app.MapPost("/coauthoring/CommandService.ashx", standIn.CommandAsync);
        await app.StartAsync();
        return standIn;
    }

    /// <summary>Makes <paramref name="bytes"/> downloadable and returns its URL (like Document Server's temporary links).</summary>
    public Uri Serve(byte[] bytes)
    {
        var name = $"{Guid.NewGuid():N}.docx";
        files[name] = bytes;
        return new Uri(Address, $"cache/files/{name}");
    }

    /// <summary>An editing session: the Command Service force-saves <paramref name="edited"/> of <paramref name="key"/> to <paramref name="callbackUrl"/>.</summary>
    public void OpenSession(string key, string callbackUrl, byte[]? edited) => sessions[key] = new Session(callbackUrl, edited);

    public void SetUnsaved(string key, byte[]? edited) => sessions[key] = sessions[key] with { Edited = edited };

    /// <summary>A callback body as Document Server sends it.</summary>
    public static JsonObject Body(string key, int status, Uri? url = null, string? lastSave = null, int? forceSaveType = null)
    {
        var body = new JsonObject { ["key"] = key, ["status"] = status, ["users"] = new JsonArray("alice") };
        if (url is not null)
        {
            body["url"] = url.ToString();
            body["changesurl"] = new Uri(url, "changes.zip").ToString();
            body["filetype"] = "docx";
        }

        if (lastSave is not null)
        {
            body["lastsave"] = lastSave;
        }

        if (forceSaveType is not null)
        {
            body["forcesavetype"] = forceSaveType;
        }

        if (status is 1 or 4)
        {
            body["actions"] = new JsonArray(new JsonObject { ["type"] = status == 1 ? 1 : 0, ["userid"] = "alice" });
        }

        return body;
    }

    public string Sign(JsonObject payload, string? secret = null, TimeSpan? lifetime = null, DateTime? issued = null)
    {
        var now = issued ?? DateTime.UtcNow;
        var claims = payload.ToDictionary(p => p.Key, p => (object)System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(p.Value!.ToJsonString()));
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.Add(lifetime ?? TimeSpan.FromMinutes(5)),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret ?? Secret)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Posts a callback; returns the HTTP status and body.</summary>
    public async Task<(int Status, string Body)> SendCallbackAsync(string callbackUrl, JsonObject body, Signing signing, string? secret = null, TimeSpan? lifetime = null, DateTime? issued = null)
    {
        var sent = (JsonObject)body.DeepClone();
        using var request = new HttpRequestMessage(HttpMethod.Post, callbackUrl);
        if (signing == Signing.BodyToken)
        {
            sent["token"] = Sign(body, secret, lifetime, issued);
        }
        else if (signing == Signing.HeaderToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Sign(new JsonObject { ["payload"] = body.DeepClone() }, secret, lifetime, issued));
        }

        request.Content = new StringContent(sent.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task<IResult> CommandAsync(HttpRequest request)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(request.Body))!;
        Commands.Enqueue(body);
        var validated = await new JsonWebTokenHandler().ValidateTokenAsync(body["token"]?.GetValue<string>() ?? "", new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)),
        });
        if (!validated.IsValid)
        {
            return Results.Json(new { error = 6 }); // invalid token
        }

        if (body["c"]?.GetValue<string>() == "version")
        {
            return Results.Json(new { error = 0, version = Version });
        }

        var key = body["key"]?.GetValue<string>() ?? "";
        if (body["c"]?.GetValue<string>() != "forcesave" || !sessions.TryGetValue(key, out var session))
        {
            return Results.Json(new { error = 1 }); // document key missing or not found
        }

        if (session.Edited is not { } edited)
        {
            return Results.Json(new { error = 4 }); // no changes
        }

        sessions[key] = session with { Edited = null };
        var url = Serve(edited);
        var lastSave = DateTime.UtcNow.ToString("O");
        // Like Document Server: answer the command first, then call back with status 6 (forcesavetype 0 = command).
        _ = Task.Run(async () =>
        {
            await Task.Delay(20);
            await SendCallbackAsync(session.CallbackUrl, Body(key, 6, url, lastSave, forceSaveType: 0), CommandSigning);
        });
        return Results.Json(new { error = 0 });
    }

    private sealed record Session(string CallbackUrl, byte[]? Edited);
}
