using MudBlazor;

namespace RealtimeSync.Admin.Layout;

/// <summary>The backoffice's Material theme in the product's colours (the indigo of favicon.svg and the demo site).</summary>
public static class AdminTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4340d2",
            Secondary = "#00897b",
            AppbarBackground = "#2c2a99",
            Background = "#f6f6fb",
            DrawerBackground = "#ffffff",
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
