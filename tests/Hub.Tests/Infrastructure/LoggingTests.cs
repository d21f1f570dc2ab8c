using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
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
