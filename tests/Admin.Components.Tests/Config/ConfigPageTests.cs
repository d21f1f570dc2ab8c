using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Services;

namespace RealtimeSync.Admin.Components.Tests.Config;

/// <summary>The Configuration page: operators edit, tenant admins read; the host's refusal is shown.</summary>
public sealed class ConfigPageTests : AdminComponentTest
{
    private sealed class FakeConfigAdmin : IConfigAdmin
    {
        public List<(string Key, string Text, string Actor)> Saves { get; } = [];

        public string? Refusal { get; set; }

        public ConfigStoreStatus Status { get; } = new("redis-first", false, null, null);

        public event Action? Changed;

        public IReadOnlyList<ConfigKeyInfo> Keys() =>
            [new("Realtime:History:MaxCount", "Integer", "messages kept", 1, 100000, false, "1000", 3, "redis", null, null)];

        public Task<ConfigSaveResult> SaveAsync(string key, string text, long expectedVersion, string actor)
        {
            if (Refusal is not null)
            {
                return Task.FromResult(new ConfigSaveResult(false, expectedVersion, Refusal));
            }

            Saves.Add((key, text, actor));
            Changed?.Invoke();
            return Task.FromResult(new ConfigSaveResult(true, expectedVersion + 1, null));
        }

        public Task<IReadOnlyList<ConfigChangeInfo>> HistoryAsync(int limit = 50) => Task.FromResult<IReadOnlyList<ConfigChangeInfo>>([]);

        public Task<IReadOnlyList<ConfigProblemInfo>> VerifyAsync() => Task.FromResult<IReadOnlyList<ConfigProblemInfo>>([]);
    }

    private readonly FakeConfigAdmin store = new();

    public ConfigPageTests()
    {
        Services.AddSingleton<IConfigAdmin>(store);
    }

    private IRenderedComponent<Pages.Config> RenderPage()
    {
        RenderProviders();
        Render<MudBlazor.MudSnackbarProvider>();
        return Render<Pages.Config>();
    }

    [Fact]
    public void An_operator_edits_a_key_and_the_store_gets_the_new_value_with_the_expected_version()
    {
        SignIn("otto", "operator");
        var page = RenderPage();
        page.Find("[data-testid=config-edit][data-key='Realtime:History:MaxCount']").Click();
        page.Find("[data-testid=config-editor] input").Input("50");
        page.Find("[data-testid=config-save]").Click();

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=config-editor]")));
        Assert.Equal([("Realtime:History:MaxCount", "50", "otto")], store.Saves);
    }

    [Fact]
    public void A_refused_write_keeps_the_form_open_with_the_hosts_reason()
    {
        SignIn("otto", "operator");
        store.Refusal = "Writes are refused until Redis answers";
        var page = RenderPage();
        page.Find("[data-testid=config-edit]").Click();
        page.Find("[data-testid=config-editor] input").Input("50");
        page.Find("[data-testid=config-save]").Click();

        Assert.Contains("Writes are refused until Redis answers", page.Find("[data-testid=config-error]").TextContent);
        Assert.Empty(store.Saves);
    }

    [Fact]
    public void A_tenant_admin_reads_but_has_no_edit_button()
    {
        SignIn("admin", "admin");
        var page = RenderPage();
        Assert.Equal("1000", page.Find("[data-testid=config-value]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=config-edit]"));
        Assert.NotNull(page.Find("[data-testid=config-read-only]"));
    }
}
