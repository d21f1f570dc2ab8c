using RealtimeSync.Hub.Backoffice;
using RealtimeSync.Hub.Cli;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Hub.DocumentSync;
using RealtimeSync.Hub.Config;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Health;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Hub.Infrastructure.Http;
using RealtimeSync.Hub.Infrastructure.Locking;
using RealtimeSync.Hub.Infrastructure.Logging;
using RealtimeSync.Hub.Infrastructure.Telemetry;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Infrastructure.Redis;
using RealtimeSync.Hub.Infrastructure.Storage;
using RealtimeSync.Hub.Realtime;
using RealtimeSync.Hub.Realtime.Backplane;
using RealtimeSync.Hub.SiteKeys;
using RealtimeSync.Hub.Sync;
using RealtimeSync.Hub.Tenants;

var (command, hostArgs) = args is [("token" or "config") and var verb, .. var rest] ? (verb, rest) : (null, args);
var builder = WebApplication.CreateBuilder(HostSetup.Options(hostArgs)).AddProductSettings();

if (command == "token")
{
    return TokenCommand.Run(hostArgs, builder.Configuration, Console.Out, Console.Error);
}

if (command == "config")
{
    return await ConfigCommand.RunAsync(hostArgs, builder.Configuration, Console.Out, Console.Error);
}

builder.AddStructuredLogging()
    .AddProxyHeaders()
    .AddHttpConventions()
    .AddPersistence()
    .AddRedis()
    .AddBlobStorage()
    .AddHealth()
    .AddConfigStore()
    .AddLocking()
    .AddTelemetry()
    .AddAuth()
    .AddRealtime()
    .AddRedisBackplane()
    .AddEntities()
    .AddDocuments()
    .AddDocumentSync()
    .AddSiteKeys()
    .AddSync()
    .AddBackoffice();

var app = builder.Build();
await app.InitializeDatabaseAsync();
await app.SeedDemoContentAsync();

app.UseProxyHeaders();
app.UseRequestLogging();
app.UseHttpConventions();
app.UseLoginRateLimit();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapOpenApi();
app.MapHealth();
app.MapMetrics();
app.MapConfigStore();
app.MapBlobDownloads();
app.MapTenants();
app.MapEntities();
app.MapDocuments();
app.MapDocumentSync();
app.MapSiteKeys();
app.MapSync();
app.MapRealtime();
app.MapDemo();
app.MapBackoffice();

await app.RunAsync();
return 0;

/// <summary>Declared so the test host (WebApplicationFactory&lt;Program&gt;) can reference the entry point.</summary>
public partial class Program;
