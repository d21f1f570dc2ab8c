using System.Security.Claims;
using RealtimeSync.Admin.Documents;
using RealtimeSync.Admin.Services;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Admin.Components.Tests.Documents;

/// <summary>The document page's scoped state: one live subscription per page shown, never leaked, never cut by a page that left.</summary>
public sealed class DocumentDetailsStateTests
{
    private sealed class Watch(Func<DocumentSaveStatus, Task> onStatus) : IDisposable
    {
        public bool Disposed { get; private set; }

        public Task PushAsync(string state) => onStatus(new DocumentSaveStatus("d1", state, 1, DateTimeOffset.UnixEpoch));

        public void Dispose() => Disposed = true;
    }

    private sealed class FakeDocumentAdmin : IDocumentAdmin
    {
        public List<Watch> Watches { get; } = [];

        public long MaxUploadBytes => 1024;

        public bool EditorAvailable => true;

        public Task<AdminDocumentServerStatus?> DocumentServerStatusAsync(CancellationToken ct = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<AdminDocument>> ListAsync(string tenant, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<AdminDocument?> GetAsync(string tenant, string id, CancellationToken ct = default) =>
            Task.FromResult<AdminDocument?>(tenant == "demo" && id == "d1" ? new AdminDocument("d1", "a.docx", "application/docx", 1, 10, "m", "s", null, DateTimeOffset.UnixEpoch, "ada") : null);

        public Task<AdminDocument> UploadAsync(string tenant, string filename, string mime, Stream content, string actor, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<int?> RestoreAsync(string tenant, string id, int version, string actor, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<AdminForceSaveResult> ForceSaveAsync(string tenant, string id, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<AdminDocumentDiagnostics?> DiagnosticsAsync(string tenant, string id, CancellationToken ct = default) => Task.FromResult<AdminDocumentDiagnostics?>(null);

        public Task<AdminEditorLaunch?> EditorAsync(string tenant, string id, string user, bool canEdit, Uri hubBase, CancellationToken ct = default) => throw new NotSupportedException();

        public IDisposable WatchSaveStatus(string tenant, string id, Func<DocumentSaveStatus, Task> onStatus)
        {
            var watch = new Watch(onStatus);
            Watches.Add(watch);
            return watch;
        }
    }

    private static readonly ClaimsPrincipal Editor = new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, "ada"), new Claim(ClaimTypes.Role, "editor"), new Claim(ClaimNames.Tenant, "demo")], "test"));

    private static Task Run(Func<Task> work) => work();

    [Fact]
    public async Task A_new_page_starts_clean_and_the_page_that_left_does_not_end_its_subscription()
    {
        var admin = new FakeDocumentAdmin();
        var state = new DocumentDetailsState(admin);
        object first = new(), second = new();
        var renders = 0;

        state.Attach(first);
        await state.LoadAsync("d1", Editor);
        state.Watch(Run, () => renders++);
        state.Watch(Run, () => renders++); // every render asks; one subscription
        Assert.Single(admin.Watches);
        await admin.Watches[0].PushAsync(SaveStates.Editing);
        Assert.Equal([SaveStates.Editing], state.History);
        Assert.Equal(SaveStates.Editing, state.LastStatus?.State);
        Assert.Equal(1, renders);

        // Navigating back to the page: the new instance attaches before the old one is disposed.
        state.Attach(second);
        Assert.True(admin.Watches[0].Disposed);
        Assert.Empty(state.History);
        Assert.Null(state.Document);
        Assert.False(state.Loaded);
        await state.LoadAsync("d1", Editor);
        state.Watch(Run, () => renders++);
        state.Detach(first);
        Assert.False(admin.Watches[1].Disposed);

        state.Detach(second);
        Assert.True(admin.Watches[1].Disposed);
    }

    [Fact]
    public async Task A_missing_document_is_loaded_as_not_found_and_not_watched()
    {
        var admin = new FakeDocumentAdmin();
        var state = new DocumentDetailsState(admin);
        state.Attach(this);
        await state.LoadAsync("nope", Editor);
        state.Watch(Run, () => { });
        Assert.True(state.Loaded);
        Assert.Null(state.Document);
        Assert.Empty(admin.Watches);
    }
}
