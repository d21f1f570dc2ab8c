using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Cli;
using RealtimeSync.Hub.Config;
using RealtimeSync.Hub.Infrastructure.Redis;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Config;

/// <summary>
/// An operator's explicit value (environment / command line) against a store that already holds one, in file mode and
/// redis-first: a secret is never kept in the store, any other key's explicit value wins with a warning naming the key.
/// </summary>
public sealed class ConfigPrecedenceTests
{
    private const string Secret = "operator-set-0123456789abcdef-secret";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_secret_and_a_value_set_in_the_environment_after_the_store_held_others_take_effect_on_restart(bool redis)
    {
        var data = Path.Combine(Path.GetTempPath(), "rs-tests", Guid.NewGuid().ToString("N"));
        var prefix = $"prc{Guid.NewGuid():N}"[..12];
        var logFile = Path.Combine(Path.GetTempPath(), "rs-tests", $"log-{Guid.NewGuid():N}.json");
        // What an earlier start left behind: an empty secret and a raised site-token TTL in the store.
        Directory.CreateDirectory(Path.Combine(data, "config"));
        await File.WriteAllTextAsync(Path.Combine(data, "config", "OnlyOffice.JwtSecret.json"), """{"value":"","version":1,"updatedAt":"2026-01-01T00:00:00Z","updatedBy":"seed"}""");
        await File.WriteAllTextAsync(Path.Combine(data, "config", "SiteTokens.MaxTtlSeconds.json"), """{"value":7200,"version":2,"updatedAt":"2026-01-01T00:00:00Z","updatedBy":"ops"}""");
        var settings = new Dictionary<string, string?> { ["Storage:DataPath"] = data, ["Logging:File"] = logFile };
        if (redis)
        {
            settings["Redis:Configuration"] = TestServers.Redis;
            settings["Redis:ChannelPrefix"] = prefix;
            using var connection = new RedisConnection(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
            var values = connection.Multiplexer.GetDatabase();
            await values.HashSetAsync($"{prefix}:config:values", "OnlyOffice:JwtSecret", """{"value":"","updatedAt":"2026-01-01T00:00:00Z","updatedBy":"seed"}""");
            await values.HashSetAsync($"{prefix}:config:values", "SiteTokens:MaxTtlSeconds", """{"value":7200,"updatedAt":"2026-01-01T00:00:00Z","updatedBy":"ops"}""");
        }

        try
        {
            await using (var app = new HubApp(settings, commandLine: new Dictionary<string, string?>
            {
                ["OnlyOffice:JwtSecret"] = Secret,
                ["SiteTokens:MaxTtlSeconds"] = "600",
            }))
            {
                var configuration = app.Services.GetRequiredService<IConfiguration>();
                Assert.Equal(Secret, configuration["OnlyOffice:JwtSecret"]);
                Assert.Equal("600", configuration["SiteTokens:MaxTtlSeconds"]);

                using var client = ConfigClient.For(app);
                var secret = await ConfigClient.GetAsync(client, "OnlyOffice:JwtSecret");
                Assert.Equal(("***", "configuration"), (secret["value"]!.GetValue<string>(), secret["source"]!.GetValue<string>()));
                var ttl = await ConfigClient.GetAsync(client, "SiteTokens:MaxTtlSeconds");
                Assert.Equal((600, "configuration"), (ttl["value"]!.GetValue<int>(), ttl["source"]!.GetValue<string>()));
                Assert.False(File.Exists(Path.Combine(data, "config", "OnlyOffice.JwtSecret.json"))); // no copy of a secret on disk
            }

            var written = Directory.GetFiles(Path.GetDirectoryName(logFile)!, Path.GetFileNameWithoutExtension(logFile) + "*").Single();
            var log = await File.ReadAllTextAsync(written);
            File.Delete(written);
            Assert.Contains("\"EventId\":{\"Id\":7008", log, StringComparison.Ordinal);
            Assert.Contains("SiteTokens:MaxTtlSeconds", log, StringComparison.Ordinal);
            Assert.Contains("\"EventId\":{\"Id\":7009", log, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, log, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Setting_a_secret_through_the_api_or_the_cli_is_refused_naming_the_key_and_nothing_is_stored()
    {
        await using var app = new HubApp();
        using var client = ConfigClient.For(app);

        var (status, problem) = await ConfigClient.PutAsync(client, "OnlyOffice:JwtSecret", JsonSerializer.Serialize(new { value = Secret }));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("OnlyOffice__JwtSecret", problem!["errors"]!["value"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("", app.Services.GetRequiredService<IConfiguration>()["OnlyOffice:JwtSecret"]);
        Assert.False(File.Exists(Path.Combine(app.DataPath, "config", "OnlyOffice.JwtSecret.json")));
        Assert.DoesNotContain(Secret, await client.GetStringAsync("/api/config/history"));

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var cli = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:DataPath"] = app.DataPath }).Build();
        var exit = await ConfigCommand.RunAsync(["set", "OnlyOffice:JwtSecret", JsonSerializer.Serialize(Secret)], cli, stdout, stderr);

        Assert.Equal(1, exit);
        Assert.Contains("OnlyOffice:JwtSecret is a secret", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(app.DataPath, "config", "OnlyOffice.JwtSecret.json")));
    }
}
