namespace RealtimeSync.Shared.Documents;

/// <summary>
/// The payload of a <c>document.save-status</c> publication on <c>{tenant}/documents/{documentId}</c>:
/// one state change of a document's editing session or save job.
/// </summary>
/// <param name="DocumentId">The document.</param>
/// <param name="State">One of <see cref="SaveStates"/>.</param>
/// <param name="Version">The committed version (with <see cref="SaveStates.Saved"/>), else the version being edited.</param>
/// <param name="At">When the state was reached.</param>
/// <param name="Error">Why a save failed or is being retried.</param>
/// <param name="Attempt">Upload attempt number (with <see cref="SaveStates.Retrying"/>).</param>
public sealed record DocumentSaveStatus(string DocumentId, string State, int? Version, DateTimeOffset At, string? Error = null, int? Attempt = null);

/// <summary>The states of <see cref="DocumentSaveStatus"/>.</summary>
public static class SaveStates
{
    /// <summary>Somebody has the document open in the editor (callback status 1).</summary>
    public const string Editing = "editing";

    /// <summary>The edited file was received and is durably spooled; it is being stored.</summary>
    public const string Saving = "saving";

    /// <summary>The new version is in blob storage and committed; downloads serve it.</summary>
    public const string Saved = "saved";

    /// <summary>Document Server reported a save error (status 3/7) or the file could not be fetched; the previous version is kept.</summary>
    public const string Failed = "failed";

    /// <summary>Storing failed for now (storage unreachable); the spooled file is kept and retried.</summary>
    public const string Retrying = "retrying";

    /// <summary>A force-save was asked of Document Server.</summary>
    public const string ForceSaveRequested = "forcesave-requested";

    /// <summary>The last editor left without changes (status 4), or the session ended.</summary>
    public const string Closed = "closed";
}

/// <summary>The outcomes of a force-save, one name each for the API (<c>outcome</c>) and the backoffice.</summary>
public static class ForceSaveOutcomes
{
    /// <summary>The editors' changes were committed as a new version.</summary>
    public const string Committed = "committed";

    /// <summary>No open session, or Document Server had nothing unsaved: the current version holds every change.</summary>
    public const string NothingToSave = "nothing-to-save";

    /// <summary>Document Server accepted the force-save, but no new version was committed in time.</summary>
    public const string TimedOut = "timed-out";

    /// <summary>No Document Server is configured.</summary>
    public const string NotConfigured = "not-configured";

    /// <summary>Refused, unreachable, or a force-save error.</summary>
    public const string Failed = "failed";
}
