using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Logging;
using RealtimeSync.Testing;
using Serilog.Events;
using Serilog.Parsing;

namespace RealtimeSync.Hub.Tests.Infrastructure;

public sealed class LoggingTests
{
    [Fact]
    public async Task A_refused_subscription_is_logged_once_as_a_warning_not_as_an_error()
    {
        var logFile = Path.Combine(Path.GetTempPath(), "rs-tests", $"log-{Guid.NewGuid():N}.json");
        await using (var app = new HubApp(new Dictionary<string, string?> { ["Logging:File"] = logFile }, realServer: true))
        {
            var token = app.Services.GetRequiredService<TokenIssuer>().Issue("acme", "mallory", ["admin"], TimeSpan.FromMinutes(5));
            await using var client = await RawHubClient.ConnectAsync(app.Address, token);

            var refusal = await Assert.ThrowsAnyAsync<Exception>(() => client.InvokeAsync("Subscribe", "demo/entities/team", null));
            Assert.Contains("Not allowed", refusal.Message, StringComparison.Ordinal);
        }

        // The file sink rolls daily: the file name carries the date.
        var written = Directory.GetFiles(Path.GetDirectoryName(logFile)!, Path.GetFileNameWithoutExtension(logFile) + "*").Single();
        var lines = await File.ReadAllLinesAsync(written);
        Assert.Single(lines, l => l.Contains("\"EventId\":{\"Id\":3011", StringComparison.Ordinal) && l.Contains("\"Level\":\"Warning\"", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("\"Level\":\"Error\"", StringComparison.Ordinal));
        File.Delete(written);
    }

    [Fact]
    public async Task Request_lines_name_node_tenant_user_document_and_connection_and_never_a_secret()
    {
        var logFile = Path.Combine(Path.GetTempPath(), "rs-tests", $"log-{Guid.NewGuid():N}.json");
        const string signingKey = "logging-tests-signing-key-that-must-never-be-logged-0123456789";
        string token;
        string connectionId;
        await using (var app = new HubApp(new Dictionary<string, string?> { ["Logging:File"] = logFile, ["Auth:Jwt:SigningKey"] = signingKey, ["Node:Id"] = "log-node" }, realServer: true))
        {
            token = app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "ada-logged", ["viewer"], TimeSpan.FromMinutes(5));
            using var http = new HttpClient { BaseAddress = app.Address };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tenants/demo/documents/doc-logged-1");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            (await http.SendAsync(request)).Dispose();
            (await http.GetAsync($"/api/tenants/demo/documents/doc-logged-2?access_token={token}")).Dispose();
            await using (var client = await RawHubClient.ConnectAsync(app.Address, token))
            {
                connectionId = client.ConnectionId;
                await client.InvokeAsync("Unsubscribe", "demo/entities/nothing");
            }

            // The hub connection's request line is written when its WebSocket closes.
            await Task.Delay(500);
        }

        var written = Directory.GetFiles(Path.GetDirectoryName(logFile)!, Path.GetFileNameWithoutExtension(logFile) + "*").Single();
        var text = await File.ReadAllTextAsync(written);
        File.Delete(written);
        var requests = text.Split('\n').Where(l => l.Contains("\"SourceContext\":\"Serilog.AspNetCore.RequestLoggingMiddleware\"", StringComparison.Ordinal)).ToList();
        Assert.Contains(requests, l => l.Contains("\"RequestPath\":\"/api/tenants/demo/documents/doc-logged-1\"", StringComparison.Ordinal)
            && l.Contains("\"Tenant\":\"demo\"", StringComparison.Ordinal) && l.Contains("\"User\":\"ada-logged\"", StringComparison.Ordinal)
            && l.Contains("\"DocumentId\":\"doc-logged-1\"", StringComparison.Ordinal) && l.Contains("\"NodeId\":\"log-node\"", StringComparison.Ordinal));
        Assert.Contains(requests, l => l.Contains("\"RequestPath\":\"/hubs/sync\"", StringComparison.Ordinal)
            && l.Contains($"\"ConnectionId\":\"{connectionId}\"", StringComparison.Ordinal) && l.Contains("\"User\":\"ada-logged\"", StringComparison.Ordinal));
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], text, StringComparison.Ordinal);
        Assert.DoesNotContain(signingKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_logger_factory_keeps_one_logger_per_category_and_still_writes_through_serilog()
    {
        // SignalR and Kestrel ask for loggers per connection: a factory that made a new one each time cost
        // ≈ 3 KiB of every idle hub connection.
        var logFile = Path.Combine(Path.GetTempPath(), "rs-tests", $"log-{Guid.NewGuid():N}.json");
        await using (var app = new HubApp(new Dictionary<string, string?> { ["Logging:File"] = logFile }))
        {
            var factory = app.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>();
            var logger = factory.CreateLogger("RealtimeSync.LoggingTests");
            Assert.Same(logger, factory.CreateLogger("RealtimeSync.LoggingTests"));
            using (logger.BeginScope(new Dictionary<string, object> { ["ScopeMark"] = "scope-42" }))
            {
                logger.LogWarning("factory check {Mark}", "mark-17");
            }

            logger.LogDebug("below the level");
        }

        var written = Directory.GetFiles(Path.GetDirectoryName(logFile)!, Path.GetFileNameWithoutExtension(logFile) + "*").Single();
        var lines = await File.ReadAllLinesAsync(written);
        var line = Assert.Single(lines, l => l.Contains("mark-17", StringComparison.Ordinal));
        Assert.Contains("\"ScopeMark\":\"scope-42\"", line, StringComparison.Ordinal);
        Assert.Contains("\"SourceContext\":\"RealtimeSync.LoggingTests\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("below the level", StringComparison.Ordinal));
    }

    [Fact]
    public void Other_failures_of_hub_methods_are_still_logged()
    {
        Assert.True(ExpectedHubErrors.IsClientRefusal(DispatcherEvent(new HubException("Not allowed: x"))));
        Assert.False(ExpectedHubErrors.IsClientRefusal(DispatcherEvent(new InvalidOperationException("bug"))));
        Assert.False(ExpectedHubErrors.IsClientRefusal(new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Error, new HubException("x"), new MessageTemplate("m", []),
            [new LogEventProperty("SourceContext", new ScalarValue("RealtimeSync.Hub.Realtime.SyncHub"))])));
    }

    private static LogEvent DispatcherEvent(Exception exception) =>
        new(DateTimeOffset.UtcNow, LogEventLevel.Error, exception, new MessageTemplate("Failed invoking hub method", []),
            [new LogEventProperty("SourceContext", new ScalarValue("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher"))]);
}
