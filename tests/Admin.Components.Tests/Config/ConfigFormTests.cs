using RealtimeSync.Admin.Config;
using RealtimeSync.Admin.Services;

namespace RealtimeSync.Admin.Components.Tests.Config;

/// <summary>The Configuration form checks a value before it is sent, and sends it once it fits.</summary>
public sealed class ConfigFormTests : AdminComponentTest
{
    private static readonly ConfigKeyInfo MaxAge = new("Realtime:History:MaxAgeSeconds", "Integer", "how long", 1, 86400, false, "300", 2, "redis", null, null);

    private readonly List<string> saved = [];

    private IRenderedComponent<ConfigForm> RenderForm(ConfigKeyInfo key, string? serverError = null) =>
        Render<ConfigForm>(p => p.Add(f => f.Key, key).Add(f => f.ServerError, serverError).Add(f => f.OnSave, (string text) => saved.Add(text)));

    [Theory]
    [InlineData("soon", "must be a whole number")]
    [InlineData("0", "must be from 1 to 86400")]
    public void An_invalid_number_is_refused_with_the_rule_and_not_sent(string text, string problem)
    {
        var form = RenderForm(MaxAge);
        form.Find("input").Input(text);
        form.Find("[data-testid=config-save]").Click();

        Assert.Contains(problem, form.Find("[data-testid=config-error]").TextContent);
        Assert.Empty(saved);
    }

    [Fact]
    public void A_valid_value_is_sent_and_the_error_goes()
    {
        var form = RenderForm(MaxAge);
        form.Find("input").Input("soon");
        form.Find("[data-testid=config-save]").Click();
        form.Find("input").Input("900");
        Assert.Empty(form.FindAll("[data-testid=config-error]"));
        form.Find("[data-testid=config-save]").Click();
        Assert.Equal(["900"], saved);
    }

    [Fact]
    public void A_secret_starts_empty_and_is_a_password_input()
    {
        var form = RenderForm(new ConfigKeyInfo("OnlyOffice:JwtSecret", "String", "secret", null, null, true, "***", 1, "file", null, null));
        var input = form.Find("input");
        Assert.Equal("password", input.GetAttribute("type"));
        Assert.True(string.IsNullOrEmpty(input.GetAttribute("value")));
    }

    [Fact]
    public void The_hosts_answer_is_shown() =>
        Assert.Contains("Writes are refused", RenderForm(MaxAge, "Writes are refused until Redis answers").Find("[data-testid=config-error]").TextContent);

    [Theory]
    [InlineData("Object", "[1]", false)]
    [InlineData("Object", "{\"a\":1}", true)]
    [InlineData("Url", "ftp://x", false)]
    [InlineData("Url", "", true)]
    public void Rules_per_kind(string kind, string text, bool ok) =>
        Assert.Equal(ok, ConfigRules.Problem(MaxAge with { Kind = kind }, text) is null);
}
