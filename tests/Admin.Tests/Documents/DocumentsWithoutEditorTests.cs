using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeSync.Hub.Infrastructure.Auth;

namespace RealtimeSync.Admin.Tests.Documents;

/// <summary>The Documents pages on a host with no Document Server configured (<see cref="BrowserFixture"/> sets none).</summary>
public sealed class DocumentsWithoutEditorTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Without_a_document_server_there_is_no_editor_or_force_save_and_the_editor_page_says_why()
    {
        using var http = new HttpClient { BaseAddress = fixture.App.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            fixture.App.Services.GetRequiredService<TokenIssuer>().Issue("demo", "alice", ["editor"], TimeSpan.FromMinutes(10)));
        using var form = new MultipartFormDataContent { { new ByteArrayContent(RandomNumberGenerator.GetBytes(5_000)), "file", "notes.docx" } };
        using var uploaded = await http.PostAsync("/api/tenants/demo/documents", form);
        Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        var id = (await uploaded.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        var (context, page, errors) = await fixture.SignedInPageAsync("admin", $"/documents/{id}");
        await using var _ = context;
        await page.WaitForSelectorAsync("[data-testid=document][data-live=true]");
        await Assertions.Expect(page.Locator("[data-testid=current-version]")).ToHaveTextAsync("1");
        Assert.Equal(0, await page.Locator("[data-testid=open-editor]").CountAsync());
        Assert.Equal(0, await page.Locator("[data-testid=forcesave]").CountAsync());
        Assert.Equal(1, await page.Locator("[data-testid=download-current]").CountAsync());

        await page.GotoAsync($"/documents/{id}/editor");
        await Assertions.Expect(page.Locator("[data-testid=document-editor]")).ToHaveAttributeAsync("data-state", "unavailable");
        await Assertions.Expect(page.Locator("[data-testid=editor-error]")).ToContainTextAsync("OnlyOffice:DocumentServerUrl");
        Assert.Empty(errors);
    }
}
