using MudBlazor;

namespace RealtimeSync.Admin.Layout;

/// <summary>The backoffice's Material theme in the product's colours (the indigo of favicon.svg and the demo site).</summary>
public static class AdminTheme
{
    public static MudTheme Theme { get; } = new()
    {
        // Every colour carries white text at 4.5:1 or more (WCAG AA; the axe check in the browser tests holds us to it).
        PaletteLight = new PaletteLight
        {
            Primary = "#4340d2",
            Secondary = "#00695c",
            Success = "#1b5e20",
            Info = "#1565c0",
            Warning = "#9a5700",
            Error = "#c62828",
            AppbarBackground = "#2c2a99",
            Background = "#f7f7fb",
            DrawerBackground = "#ffffff",
            TextSecondary = "rgba(0,0,0,0.68)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8f8cff",
            Secondary = "#4db6ac",
            AppbarBackground = "#1d1c5c",
        },
    };

    /// <summary>The browser storage key of a user's light/dark choice: per user, so a shared machine keeps each person's.</summary>
    public static string StorageKey(string? user) => $"rs-theme:{user ?? ""}";
}
