using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Admin.Documents;
using RealtimeSync.Admin.Pages;
using RealtimeSync.Admin.Services;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Admin.Components.Tests.Documents;

/// <summary>The Documents page tells editors whether Document Server answers (the node's last probe).</summary>
public sealed class DocumentServerStatusTests : AdminComponentTest
{
    private sealed class StatusOnlyDocumentAdmin(AdminDocumentServerStatus? status) : IDocumentAdmin
    {
        public long MaxUploadBytes => 1024;

        public bool EditorAvailable => status is not null;

        public Task<AdminDocumentServerStatus?> DocumentServerStatusAsync(CancellationToken ct = default) => Task.FromResult(status);

        public Task<IReadOnlyList<AdminDocument>> ListAsync(string tenant, CancellationToken ct = default) => Task.FromResult<IReadOnlyList<AdminDocument>>([]);

        public Task<AdminDocument?> GetAsync(string tenant, string id, CancellationToken ct = default) => Task.FromResult<AdminDocument?>(null);

        public Task<AdminDocument> UploadAsync(string tenant, string filename, string mime, Stream content, string actor, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<int?> RestoreAsync(string tenant, string id, int version, string actor, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<AdminForceSaveResult> ForceSaveAsync(string tenant, string id, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<AdminDocumentDiagnostics?> DiagnosticsAsync(string tenant, string id, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<AdminEditorLaunch?> EditorAsync(string tenant, string id, string user, bool canEdit, Uri hubBase, CancellationToken ct = default) => throw new NotSupportedException();

        public IDisposable WatchSaveStatus(string tenant, string id, Func<DocumentSaveStatus, Task> onStatus) => throw new NotSupportedException();
    }

    private IRenderedComponent<DocumentsList> Page(AdminDocumentServerStatus? status)
    {
        SignIn("ada", "editor");
        Services.AddSingleton<IDocumentAdmin>(new StatusOnlyDocumentAdmin(status));
        RenderProviders();
        var page = Render<DocumentsList>();
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("[data-testid=documents]").GetAttribute("data-live")));
        return page;
    }

    [Fact]
    public void An_unreachable_document_server_is_an_error_banner_with_the_reason_and_what_it_means_for_saves()
    {
        var page = Page(new AdminDocumentServerStatus(false, null, "connection refused (127.0.0.1:9)", DateTimeOffset.UnixEpoch));

        var status = page.Find("[data-testid=document-server]");
        Assert.Equal("false", status.GetAttribute("data-reachable"));
        var alert = status.QuerySelector(".mud-alert-text-error, .mud-alert-filled-error, .mud-alert-outlined-error");
        Assert.NotNull(alert);
        Assert.Contains("Document Server is unreachable: connection refused (127.0.0.1:9)", alert.TextContent);
        Assert.Contains("saved files stay safe", alert.TextContent);
    }

    [Fact]
    public void A_reachable_one_shows_its_version_and_when_it_was_checked_without_an_alert()
    {
        var page = Page(new AdminDocumentServerStatus(true, "9.1.0.173", null, new DateTimeOffset(2026, 12, 6, 5, 4, 3, TimeSpan.Zero)));

        var status = page.Find("[data-testid=document-server]");
        Assert.Equal("true", status.GetAttribute("data-reachable"));
        Assert.Contains("Document Server 9.1.0.173 answers (checked 05:04:03 UTC)", status.TextContent);
        Assert.Empty(status.QuerySelectorAll(".mud-alert"));
    }

    [Fact]
    public void Without_a_document_server_configured_the_page_says_nothing_about_one()
    {
        var page = Page(null);

        Assert.Empty(page.FindAll("[data-testid=document-server]"));
    }
}
