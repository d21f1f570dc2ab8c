using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Hub.Realtime;

/// <summary><c>Realtime:Limits:</c> caps on what one token may hold open on a node.</summary>
public sealed class RealtimeLimitsOptions
{
    public const string Section = "Realtime:Limits";

    /// <summary>Hub connections one token may have open on this node at once (more are closed at once).</summary>
    public int MaxConnectionsPerToken { get; set; } = 20;

    /// <summary>Channels one connection may subscribe to.</summary>
    public int MaxSubscriptionsPerConnection { get; set; } = 200;
}

/// <summary>
/// Counts open hub connections per token (tenant, subject and issue time: a site's visitors share a subject but
/// each page gets its own token). Per node, like every connection registry here.
/// </summary>
public sealed class ConnectionLimits(IOptionsMonitor<RealtimeLimitsOptions> options)
{
    private readonly ConcurrentDictionary<string, int> open = new(StringComparer.Ordinal);

    public RealtimeLimitsOptions Options => options.CurrentValue;

    public static string TokenKey(ClaimsPrincipal user) =>
        $"{user.FindFirst(ClaimNames.Tenant)?.Value}/{user.FindFirst(ClaimNames.Subject)?.Value}/{user.FindFirst("jti")?.Value ?? user.FindFirst("iat")?.Value}";

    /// <summary>Counts a new connection of <paramref name="token"/>; false (and not counted) when at the cap.</summary>
    public bool TryOpen(string token)
    {
        var max = options.CurrentValue.MaxConnectionsPerToken;
        while (true)
        {
            var current = open.GetOrAdd(token, 0);
            if (current >= max)
            {
                return false;
            }

            if (open.TryUpdate(token, current + 1, current))
            {
                return true;
            }
        }
    }

    public void Close(string token)
    {
        var left = open.AddOrUpdate(token, 0, (_, count) => Math.Max(0, count - 1));
        if (left == 0)
        {
            open.TryRemove(KeyValuePair.Create(token, 0));
        }
    }
}
