using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Testing;

namespace RealtimeSync.Client.Tests;

/// <summary>What the client suites share: tokens, clients on a temp store, and the server's side of an entity.</summary>
public abstract class ClientTestBase : BackendSuite, IAsyncLifetime
{
    private readonly List<RealtimeSyncClient> clients = [];
    private readonly string folder = Path.Combine(Path.GetTempPath(), "rs-client-tests", Guid.NewGuid().ToString("N"));

    protected string Folder => folder;

    protected static string Token(HubApp app, string subject, string role = "editor") =>
        app.Services.GetRequiredService<TokenIssuer>().Issue("demo", subject, [role], TimeSpan.FromMinutes(30));

    /// <summary>A client with its own store under this test's folder; by default it fails fast (no retries) and only syncs when asked.</summary>
    protected async Task<RealtimeSyncClient> OpenAsync(Uri server, string token, string name, Action<SyncClientOptions>? tweak = null)
    {
        var options = new SyncClientOptions
        {
            Server = server,
            Token = token,
            DatabasePath = Path.Combine(folder, name + ".db"),
            MaxRetries = 0,
            ListenForChanges = false,
            PushBatchSize = 50,
            PullPageSize = 100,
        };
        tweak?.Invoke(options);
        var client = await RealtimeSyncClient.OpenAsync(options);
        clients.Add(client);
        return client;
    }

    protected static JsonObject Member(string name, string role = "Dev", string id = "x") =>
        new() { ["name"] = name, ["role"] = role, ["joinDate"] = "2021-03-01", ["employeeId"] = "E-" + id };

    protected static JsonObject Fields(string json) => JsonNode.Parse(json)!.AsObject();

    protected static async Task<EntityDto?> ServerAsync(HubApp app, string id, string type = "team")
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EntityStore>().GetAsync("demo", type, id);
    }

    protected static async Task<int> ChangesFromAsync(HubApp app, string origin)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>().Changes.CountAsync(c => c.TenantId == "demo" && c.Origin == origin);
    }

    /// <summary>The local entity equals the server's live one, field for field.</summary>
    protected static async Task AssertSameAsync(HubApp app, RealtimeSyncClient client, string id)
    {
        var server = await ServerAsync(app, id);
        var local = await client.GetAsync("team", id);
        if (server is null || server.Deleted)
        {
            Assert.Null(local);
            return;
        }

        Assert.NotNull(local);
        Assert.True(JsonNode.DeepEquals(server.Fields, local.Fields), $"server {server.Fields.ToJsonString()} != local {local.Fields.ToJsonString()}");
        Assert.Equal(server.Version, local.ServerVersion);
    }

    /// <summary>An address where nothing listens: the server is down.</summary>
    protected static Uri DeadAddress()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    protected static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    // Re-implemented (BackendSuite's is not virtual): the clients close before the hosts and databases go.
    async Task IAsyncLifetime.DisposeAsync()
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        await base.DisposeAsync();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // a child process may still hold a file for a moment; the OS cleans temp
        }
    }
}
