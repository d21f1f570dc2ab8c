using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Entities;

/// <summary>Ids that look valid to a <c>$</c>-anchored pattern: a trailing newline, and the path segments "." and "..".</summary>
public sealed class EntityIdTests
{
    [Theory]
    [InlineData("probe\\n")]
    [InlineData(".")]
    [InlineData("..")]
    public async Task An_entity_id_with_a_trailing_newline_or_a_dot_segment_is_refused_and_nothing_is_stored(string jsonId)
    {
        await using var app = new HubApp();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            app.Services.GetRequiredService<TokenIssuer>().Issue("demo", "mallory", ["editor"], TimeSpan.FromMinutes(5)));
        var before = await ChangeCountAsync(app);

        using var response = await client.PostAsync("/api/tenants/demo/entities/team", new StringContent(
            "{\"id\":\"" + jsonId + "\",\"fields\":{\"name\":\"P\",\"role\":\"Dev\",\"joinDate\":\"2022-01-10\",\"employeeId\":\"E-9\"}}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("id", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(before, await ChangeCountAsync(app));
    }

    private static async Task<int> ChangeCountAsync(HubApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var (changes, _) = await scope.ServiceProvider.GetRequiredService<EntityStore>().ChangesAsync("demo", 0, 10_000, "team");
        return changes.Count;
    }
}
