using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using RealtimeSync.Hub.Cli;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Cli;

public sealed class TokenCommandTests : IAsyncLifetime
{
    private readonly HubApp app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    private (int Exit, string Out, string Err) Run(params string[] args)
    {
        // Same data folder as the running host: the CLI signs with the key the host generated there.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:DataPath"] = app.DataPath }).Build();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = TokenCommand.Run(args, configuration, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task The_printed_token_is_accepted_by_the_host_for_its_tenant_only()
    {
        using var client = app.CreateClient(); // starts the host, which creates the signing key
        var (exit, output, error) = Run("--tenant", "demo", "--role", "editor", "--ttl", "10m");

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        var token = output.Trim();
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // the token and nothing else

        var jwt = new JsonWebToken(token);
        Assert.Equal("demo", jwt.GetClaim("tenant").Value);
        Assert.Equal("editor", jwt.GetClaim("role").Value);
        Assert.InRange(jwt.ValidTo - jwt.ValidFrom, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(11));

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/tenants/demo")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/tenants/other")).StatusCode);
    }

    [Theory]
    [InlineData("--role", "editor")]
    [InlineData("--tenant", "Demo!", "--role", "editor")]
    [InlineData("--tenant", "demo", "--role", "superuser")]
    [InlineData("--tenant", "demo", "--role", "editor", "--ttl", "forever")]
    [InlineData("--tenant", "demo", "--role", "editor", "--bogus")]
    public void Bad_arguments_exit_2_with_usage_and_print_no_token(params string[] args)
    {
        var (exit, output, error) = Run(args);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("usage: token", error);
    }
}
