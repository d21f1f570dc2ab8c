using System.Text.Json;

namespace RealtimeSync.Shared.Realtime;

/// <summary>A position in one channel's stream: the history epoch and the last offset seen.</summary>
/// <param name="Epoch">Identifies one unbroken history; a new epoch means the history was lost.</param>
/// <param name="Offset">Offset of the last publication seen (0 = none yet).</param>
public sealed record StreamPosition(string Epoch, long Offset);

/// <summary>One message pushed on a channel. Offsets are per channel, gap-free, assigned once at publish.</summary>
/// <param name="Channel">Channel name.</param>
/// <param name="Epoch">History epoch the offset belongs to.</param>
/// <param name="Offset">Position in the channel (1, 2, 3…).</param>
/// <param name="Type">One of <see cref="PublicationTypes"/>.</param>
/// <param name="Data">Type-specific payload.</param>
public sealed record Publication(string Channel, string Epoch, long Offset, string Type, JsonElement Data);

/// <summary>The answer to <c>Subscribe(channel, since)</c>.</summary>
/// <param name="Epoch">Current epoch of the channel.</param>
/// <param name="Offset">Current top offset of the channel (the last publication's).</param>
/// <param name="Recovered">True when <c>since</c> was given and every missed publication is in <paramref name="Publications"/>.</param>
/// <param name="Publications">Publications after <c>since</c>, in offset order.</param>
/// <param name="ResyncRequired">True when the history no longer covers <c>since</c> (or the epoch changed): refetch state.</param>
public sealed record SubscribeResult(string Epoch, long Offset, bool Recovered, IReadOnlyList<Publication> Publications, bool ResyncRequired);

/// <summary>The publication types of the hub protocol (DESIGN §6).</summary>
public static class PublicationTypes
{
    /// <summary>An entity was created or changed.</summary>
    public const string EntityChanged = "entity.changed";

    /// <summary>An entity was soft-deleted.</summary>
    public const string EntityDeleted = "entity.deleted";

    /// <summary>A document's save job changed state.</summary>
    public const string DocumentSaveStatus = "document.save-status";

    /// <summary>Progress of a long sync.</summary>
    public const string SyncProgress = "sync.progress";

    /// <summary>New changes exist for a sync client.</summary>
    public const string SyncChangesAvailable = "sync.changes-available";

    /// <summary>The tenant's documents changed: a client mirroring them runs <c>documents/sync</c> (on its sync channel).</summary>
    public const string DocumentsChangesAvailable = "documents.changes-available";

    /// <summary>Someone joined a presence channel.</summary>
    public const string PresenceJoined = "presence.joined";

    /// <summary>Someone left a presence channel.</summary>
    public const string PresenceLeft = "presence.left";
}

/// <summary>The kinds of channel.</summary>
public enum ChannelKind
{
    /// <summary><c>{tenant}/entities/{type}</c>.</summary>
    Entities,

    /// <summary><c>{tenant}/documents/{documentId}</c>.</summary>
    Documents,

    /// <summary><c>{tenant}/sync/{clientId}</c>.</summary>
    Sync,

    /// <summary><c>{tenant}/presence/{resource}</c>.</summary>
    Presence,
}

/// <summary>A parsed channel name.</summary>
/// <param name="Tenant">Tenant id.</param>
/// <param name="Kind">Channel kind.</param>
/// <param name="Key">Entity type, document id, client id or presence resource.</param>
public sealed record ChannelName(string Tenant, ChannelKind Kind, string Key)
{
    /// <summary>Longest accepted channel name.</summary>
    public const int MaxLength = 300;

    /// <summary>The channel of an entity type.</summary>
    public static string Entities(string tenant, string type) => $"{tenant}/entities/{type}";

    /// <summary>The presence channel of a resource.</summary>
    public static string Presence(string tenant, string resource) => $"{tenant}/presence/{resource}";

    /// <summary>The channel's text form.</summary>
    public override string ToString() => $"{Tenant}/{Kind.ToString().ToLowerInvariant()}/{Key}";

    /// <summary>
    /// Parses <c>{tenant}/{kind}/{key}</c>; the key may contain further '/' only for presence resources
    /// (e.g. <c>demo/presence/team/42</c>). Null when malformed.
    /// </summary>
    public static ChannelName? TryParse(string? channel)
    {
        if (string.IsNullOrEmpty(channel) || channel.Length > MaxLength)
        {
            return null;
        }

        var parts = channel.Split('/', 3);
        if (parts.Length != 3 || !Tenancy.TenantId.IsValid(parts[0]) || parts[2].Length == 0)
        {
            return null;
        }

        ChannelKind? kind = parts[1] switch
        {
            "entities" => ChannelKind.Entities,
            "documents" => ChannelKind.Documents,
            "sync" => ChannelKind.Sync,
            "presence" => ChannelKind.Presence,
            _ => null,
        };
        if (kind is null)
        {
            return null;
        }

        var key = parts[2];
        var allowSlash = kind == ChannelKind.Presence;
        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' || (allowSlash && c == '/')))
            {
                return null;
            }
        }

        return new ChannelName(parts[0], kind.Value, key);
    }
}
