using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Shared.Realtime;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Documents;

/// <summary>A document as the API returns it.</summary>
public sealed record DocumentInfo(string Id, string Filename, int Version, string Key, long Size, string Md5, string Sha256, string? Session, long Seq, bool Deleted);

/// <summary>
/// The real host on a real port (S3 on the test s3rver unless told otherwise) wired to a
/// <see cref="DocumentServerStandIn"/>, with API helpers and an in-process recorder of save-status pushes.
/// </summary>
public sealed class DocumentsHost : IAsyncDisposable
{
    public const string Tenant = "demo";

    private readonly ConcurrentQueue<(string Channel, JsonElement Data)> pushes = new();
    private readonly List<IDisposable> listeners = [];

    private DocumentsHost(DocumentServerStandIn documentServer, HubApp app)
    {
        DocumentServer = documentServer;
        App = app;
        Http = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token("alice", "editor"));
    }

    public DocumentServerStandIn DocumentServer { get; }

    public HubApp App { get; }

    public HttpClient Http { get; }

    public static async Task<DocumentsHost> StartAsync(Dictionary<string, string?>? extra = null, bool s3 = true, bool signed = true, Action<IServiceCollection>? services = null)
    {
        var documentServer = await DocumentServerStandIn.StartAsync($"onlyoffice-test-secret-{Guid.NewGuid():N}");
        var settings = s3 ? TestServers.S3Settings() : [];
        settings["OnlyOffice:DocumentServerUrl"] = documentServer.Address.ToString();
        settings["OnlyOffice:JwtSecret"] = signed ? documentServer.Secret : "";
        settings["Documents:ForceSaveWaitSeconds"] = "15";
        settings["Documents:PollMilliseconds"] = "200";
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new DocumentsHost(documentServer, new HubApp(settings, realServer: true, services: services));
    }

    public string Token(string subject, string role, string tenant = Tenant) =>
        App.Services.GetRequiredService<TokenIssuer>().Issue(tenant, subject, [role], TimeSpan.FromMinutes(30));

    public async Task<DocumentInfo> UploadAsync(byte[] bytes, string filename = "report.docx")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        form.Add(file, "file", filename);
        using var response = await Http.PostAsync($"/api/tenants/{Tenant}/documents", form);
        Assert.True(response.IsSuccessStatusCode, $"upload answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<DocumentInfo>(JsonSerializerOptions.Web))!;
    }

    public async Task<DocumentInfo> GetAsync(string id) =>
        (await Http.GetFromJsonAsync<DocumentInfo>($"/api/tenants/{Tenant}/documents/{id}", JsonSerializerOptions.Web))!;

    public async Task<JsonObject> EditorConfigAsync(string id) =>
        (JsonObject)(await Http.GetFromJsonAsync<JsonNode>($"/api/tenants/{Tenant}/documents/{id}/editor-config"))!;

    /// <summary>The callback URL and current key from the editor config, as Document Server would get them.</summary>
    public async Task<(string CallbackUrl, string Key)> SessionAsync(string id)
    {
        var config = await EditorConfigAsync(id);
        return (config["editorConfig"]!["callbackUrl"]!.GetValue<string>(), config["document"]!["key"]!.GetValue<string>());
    }

    public async Task<JsonArray> VersionsAsync(string id) =>
        (JsonArray)(await Http.GetFromJsonAsync<JsonNode>($"/api/tenants/{Tenant}/documents/{id}/versions"))!;

    public async Task<JsonObject> DiagnosticsAsync(string id) =>
        (JsonObject)(await Http.GetFromJsonAsync<JsonNode>($"/api/tenants/{Tenant}/documents/{id}/diagnostics"))!;

    /// <summary>Waits (bounded) until the document's current version is at least <paramref name="version"/>.</summary>
    public async Task<DocumentInfo> WaitForVersionAsync(string id, int version, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var document = await GetAsync(id);
            if (document.Version >= version)
            {
                return document;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Document {id} stayed at version {document.Version}, expected {version}. Pushes: {string.Join(" | ", Pushes(id).Select(p => p.GetRawText()))}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Starts recording save-status pushes of the document (in-process listener on the channel).</summary>
    public void Record(string id)
    {
        var channel = $"{Tenant}/documents/{id}";
        listeners.Add(App.Services.GetRequiredService<ChannelPublisher>().Listen(channel, publication =>
        {
            if (publication.Type == PublicationTypes.DocumentSaveStatus)
            {
                pushes.Enqueue((publication.Channel, publication.Data.Clone()));
            }

            return Task.CompletedTask;
        }));
    }

    public IReadOnlyList<JsonElement> Pushes(string id) =>
        pushes.Where(p => p.Channel == $"{Tenant}/documents/{id}").Select(p => p.Data).ToList();

    public IReadOnlyList<string> States(string id) => Pushes(id).Select(p => p.GetProperty("state").GetString()!).ToList();

    public async Task<JsonElement> WaitForPushAsync(string id, Func<JsonElement, bool> match, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            foreach (var push in Pushes(id))
            {
                if (match(push))
                {
                    return push;
                }
            }

            await Task.Delay(20);
        }

        throw new Xunit.Sdk.XunitException($"No push {what} for {id}; got: {string.Join(" | ", Pushes(id).Select(p => p.GetRawText()))}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var listener in listeners)
        {
            listener.Dispose();
        }

        Http.Dispose();
        await App.DisposeAsync();
        await DocumentServer.DisposeAsync();
    }
}
