using System.Globalization;
using RealtimeSync.Admin.Services;
using RealtimeSync.Shared.Documents;

namespace RealtimeSync.Admin.Documents;

/// <summary>How the Documents pages word a document's save state (the last push, or the stored state before any push).</summary>
public static class SaveStatusText
{
    /// <summary>The state shown before any push arrived: the session the database knows, else idle.</summary>
    public static string InitialState(AdminDocument document) => document.Session == "editing" ? SaveStates.Editing : "idle";

    public static string Describe(DocumentSaveStatus? status, AdminDocument document) => status is null
        ? (document.Session == "editing" ? "Editing" : $"Stored · v{document.Version}")
        : status.State switch
        {
            SaveStates.Editing => "Editing",
            SaveStates.Saving => "Saving…",
            SaveStates.Saved => $"Saved v{status.Version} · {Time(status.At)}",
            SaveStates.Failed => $"Save failed{Reason(status.Error)}",
            SaveStates.Retrying => $"Storage unavailable, retrying (attempt {status.Attempt}){Reason(status.Error)}",
            SaveStates.ForceSaveRequested => "Force-save requested",
            SaveStates.Closed => $"Closed · v{document.Version}",
            _ => status.State,
        };

    public static MudBlazor.Color Style(string state) => state switch
    {
        SaveStates.Saved => MudBlazor.Color.Success,
        SaveStates.Saving or SaveStates.ForceSaveRequested => MudBlazor.Color.Info,
        SaveStates.Editing => MudBlazor.Color.Warning,
        SaveStates.Failed => MudBlazor.Color.Error,
        SaveStates.Retrying => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Default,
    };

    /// <summary>True while a save of the document is not committed yet (leaving the editor now could lose it).</summary>
    public static bool Pending(string state) => state is SaveStates.Saving or SaveStates.ForceSaveRequested or SaveStates.Retrying;

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
    };

    private static string Reason(string? error) => string.IsNullOrEmpty(error) ? "" : $": {error}";
}
