namespace RealtimeSync.Shared.Realtime;

/// <summary>
/// Who may subscribe to what (DESIGN §6). Channel names are data from the client and are never trusted:
/// the tenant must be the token's tenant, and a <c>sync/{clientId}</c> channel only its own client's.
/// A token with a <see cref="ScopeClaim"/> is limited further: <see cref="SubscribeScope"/> (the subscriber
/// tokens minted for frontend sites) reaches only its tenant's <c>entities/{type}</c> channels.
/// </summary>
public static class ChannelAccess
{
    /// <summary>The claim that narrows what a token may do. Absent on full API tokens.</summary>
    public const string ScopeClaim = "scope";

    /// <summary>The scope of a frontend site's subscriber token: subscribe to public (entity) channels, read entities.</summary>
    public const string SubscribeScope = "subscribe";

    /// <summary>Null when allowed, otherwise the reason the subscription is refused.</summary>
    /// <param name="channel">The parsed channel.</param>
    /// <param name="tenant">The principal's tenant claim.</param>
    /// <param name="subject">The principal's subject (user or sync client id).</param>
    /// <param name="clientId">The principal's sync client id claim, when it has one.</param>
    /// <param name="scope">
    /// The principal's <see cref="ScopeClaim"/>: null or empty for an unrestricted token. Any other value than
    /// <see cref="SubscribeScope"/> allows nothing, so a scope this build does not know fails closed.
    /// </param>
    public static string? Check(ChannelName channel, string? tenant, string? subject, string? clientId, string? scope = null)
    {
        if (string.IsNullOrEmpty(tenant) || !string.Equals(channel.Tenant, tenant, StringComparison.Ordinal))
        {
            return $"Not allowed: channel '{channel}' belongs to another tenant.";
        }

        if (!string.IsNullOrEmpty(scope))
        {
            if (!string.Equals(scope, SubscribeScope, StringComparison.Ordinal))
            {
                return $"Not allowed: a token with scope '{scope}' may not subscribe to channels.";
            }

            if (channel.Kind != ChannelKind.Entities)
            {
                return $"Not allowed: a subscribe-scoped token may subscribe only to entities channels, not '{channel}'.";
            }
        }

        if (channel.Kind == ChannelKind.Sync
            && !string.Equals(channel.Key, clientId, StringComparison.Ordinal)
            && !string.Equals(channel.Key, subject, StringComparison.Ordinal))
        {
            return $"Not allowed: channel '{channel}' belongs to another sync client.";
        }

        return null;
    }
}
