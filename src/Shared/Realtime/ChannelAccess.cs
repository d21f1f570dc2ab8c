namespace RealtimeSync.Shared.Realtime;

/// <summary>
/// Who may subscribe to what (DESIGN §6). Channel names are data from the client and are never trusted:
/// the tenant must be the token's tenant, and a <c>sync/{clientId}</c> channel only its own client's.
/// </summary>
public static class ChannelAccess
{
    /// <summary>Null when allowed, otherwise the reason the subscription is refused.</summary>
    /// <param name="channel">The parsed channel.</param>
    /// <param name="tenant">The principal's tenant claim.</param>
    /// <param name="subject">The principal's subject (user or sync client id).</param>
    /// <param name="clientId">The principal's sync client id claim, when it has one.</param>
    public static string? Check(ChannelName channel, string? tenant, string? subject, string? clientId)
    {
        if (string.IsNullOrEmpty(tenant) || !string.Equals(channel.Tenant, tenant, StringComparison.Ordinal))
        {
            return $"Not allowed: channel '{channel}' belongs to another tenant.";
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
