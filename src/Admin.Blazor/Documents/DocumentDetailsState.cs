using System.Security.Claims;
using RealtimeSync.Admin.Services;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Admin.Documents;

/// <summary>
/// The state of the document page (<c>/documents/{id}</c>): the document, its versions and diagnostics, the live save
/// status and its subscription, the force-save and restore outcomes and busy flags. Scoped (one per circuit); the page
/// calls it and renders. A page instance attaches itself first: a new instance starts from a clean state, and the
/// instance that leaves only ends the subscription if it is still the one attached.
/// </summary>
public sealed class DocumentDetailsState(IDocumentAdmin documentAdmin) : IDisposable
{
    private readonly List<string> history = [];
    private object? owner;
    private bool reloadRunning;
    private bool reloadAgain;
    private IDisposable? watch;
    private string? watching;

    public string Id { get; private set; } = "";

    public AdminDocument? Document { get; private set; }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<AdminDocumentVersion> Versions { get; private set; } = [];

    public AdminDocumentDiagnostics? Diagnostics { get; private set; }

    public DateTimeOffset DiagnosedAt { get; private set; }

    /// <summary>The last pushed save status (null until the first push).</summary>
    public DocumentSaveStatus? LastStatus { get; private set; }

    /// <summary>The last 20 pushed states, oldest first.</summary>
    public IReadOnlyList<string> History => history;

    public AdminForceSaveResult? ForceSave { get; private set; }

    public string? ActionError { get; private set; }

    public string User { get; private set; } = "";

    public bool CanWrite { get; private set; }

    /// <summary>The first load finished (a null <see cref="Document"/> then means it does not exist).</summary>
    public bool Loaded { get; private set; }

    public bool ForceSaving { get; private set; }

    public bool Restoring { get; private set; }

    public bool EditorAvailable => documentAdmin.EditorAvailable;

    private string Tenant { get; set; } = "";

    /// <summary>Makes <paramref name="page"/> the page shown; a different page instance starts from a clean state.</summary>
    public void Attach(object page)
    {
        if (ReferenceEquals(owner, page))
        {
            return;
        }

        StopWatching();
        owner = page;
        Id = "";
        Document = null;
        Versions = [];
        Diagnostics = null;
        ForceSave = null;
        ActionError = null;
        Loaded = false;
        ForceSaving = false;
        Restoring = false;
        reloadRunning = false;
        reloadAgain = false;
    }

    /// <summary>The page left: ends the live subscription unless another page instance has attached since.</summary>
    public void Detach(object page)
    {
        if (ReferenceEquals(owner, page))
        {
            StopWatching();
            owner = null;
        }
    }

    /// <summary>Loads document <paramref name="id"/> for <paramref name="principal"/> (a different id drops the previous one's live status).</summary>
    public async Task LoadAsync(string id, ClaimsPrincipal principal)
    {
        Tenant = principal.FindFirst(ClaimNames.Tenant)?.Value ?? "";
        User = principal.Identity?.Name ?? "unknown";
        CanWrite = Roles.CanWrite(principal);
        Id = id;
        if (watching != id)
        {
            StopWatching();
            ForceSave = null;
        }

        await ReloadAsync();
        Loaded = true;
    }

    /// <summary>
    /// Subscribes to the document's save status once it is loaded (call it from the interactive circuit only: a
    /// prerender's subscription would leak). <paramref name="dispatch"/> runs a push on the page's dispatcher;
    /// <paramref name="changed"/> re-renders the page.
    /// </summary>
    public void Watch(Func<Func<Task>, Task> dispatch, Action changed)
    {
        if (watch is null && Document is not null)
        {
            watching = Id;
            watch = documentAdmin.WatchSaveStatus(Tenant, Id, status => dispatch(() => OnStatusAsync(status, changed)));
        }
    }

    private async Task OnStatusAsync(DocumentSaveStatus status, Action changed)
    {
        LastStatus = status;
        history.Add(status.State);
        if (history.Count > 20)
        {
            history.RemoveAt(0);
        }

        changed();
        if (status.State is SaveStates.Saved or SaveStates.Failed or SaveStates.Retrying)
        {
            await RefreshCoalescedAsync(changed);
        }
    }

    /// <summary>
    /// Reloads after a push, at most one reload at a time: while storage is down every retry pushes, and each
    /// diagnostics read waits on the store, so reloads would otherwise pile up. A push during a reload asks for one more.
    /// </summary>
    private async Task RefreshCoalescedAsync(Action changed)
    {
        if (reloadRunning)
        {
            reloadAgain = true;
            return;
        }

        reloadRunning = true;
        try
        {
            do
            {
                reloadAgain = false;
                await ReloadAsync();
                changed();
            }
            while (reloadAgain);
        }
        finally
        {
            reloadRunning = false;
        }
    }

    private async Task ReloadAsync()
    {
        Document = await documentAdmin.GetAsync(Tenant, Id);
        if (Document is null)
        {
            Versions = [];
            Diagnostics = null;
            return;
        }

        await DiagnoseAsync();
    }

    /// <summary>Diagnostics carry the versions too: one read of the database and one read-back of the committed blob.</summary>
    public async Task DiagnoseAsync()
    {
        Diagnostics = await documentAdmin.DiagnosticsAsync(Tenant, Id);
        DiagnosedAt = DateTimeOffset.UtcNow;
        if (Diagnostics is not null)
        {
            Document = Diagnostics.Document;
            Versions = Diagnostics.Versions.OrderByDescending(v => v.Version).ToList();
        }
    }

    public async Task ForceSaveAsync()
    {
        if (!CanWrite)
        {
            return;
        }

        ForceSaving = true;
        ForceSave = null;
        ActionError = null;
        try
        {
            ForceSave = await documentAdmin.ForceSaveAsync(Tenant, Id);
            await ReloadAsync();
        }
        catch (Exception e)
        {
            // An exception escaping an event handler ends the circuit; the user needs the reason instead.
            ForceSave = new AdminForceSaveResult(ForceSaveOutcomes.Failed, Document?.Version ?? 0, e.Message);
        }
        finally
        {
            ForceSaving = false;
        }
    }

    /// <summary>Restores <paramref name="version"/> as a new version (the page has asked the user first).</summary>
    public async Task RestoreAsync(int version)
    {
        if (!CanWrite || Document is null)
        {
            return;
        }

        Restoring = true;
        ActionError = null;
        try
        {
            if (await documentAdmin.RestoreAsync(Tenant, Id, version, User) is null)
            {
                ActionError = $"Version {version} no longer exists.";
            }

            await ReloadAsync();
        }
        catch (Exception e)
        {
            // e.g. the blob store is unreachable; an exception escaping an event handler would end the circuit.
            ActionError = $"Restoring v{version} failed: {e.Message}";
        }
        finally
        {
            Restoring = false;
        }
    }

    private void StopWatching()
    {
        watch?.Dispose();
        watch = null;
        watching = null;
        LastStatus = null;
        history.Clear();
    }

    public void Dispose() => watch?.Dispose();
}
