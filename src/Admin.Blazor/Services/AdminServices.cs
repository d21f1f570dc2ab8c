using System.Security.Claims;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Admin.Services;

/// <summary>Checks backoffice credentials. Implemented by the host (the admin never touches the database).</summary>
public interface IAdminAccounts
{
    /// <summary>The account when the password matches, otherwise null (no hint which part was wrong).</summary>
    Task<AdminAccount?> VerifyAsync(string userName, string password, CancellationToken ct = default);
}

/// <param name="IsOperator">Also runs the installation (global configuration); see README "Roles".</param>
public sealed record AdminAccount(string Id, string UserName, string Role, string TenantId, bool IsOperator = false)
{
    /// <summary>The cookie principal for this account (the operator role only when <see cref="IsOperator"/>).</summary>
    public ClaimsPrincipal ToPrincipal(string authenticationType) => new(new ClaimsIdentity(
        [
            new Claim(ClaimNames.Subject, Id),
            new Claim(ClaimTypes.Name, UserName),
            new Claim(ClaimTypes.Role, Role),
            .. IsOperator ? new[] { new Claim(ClaimTypes.Role, Roles.Operator) } : [],
            new Claim(ClaimNames.Tenant, TenantId),
        ],
        authenticationType));
}

/// <summary>What the Dashboard shows about this node. Implemented by the host.</summary>
public interface INodeStatusSource
{
    Task<NodeStatus> GetAsync(CancellationToken ct = default);
}

public sealed record NodeStatus(
    string NodeId,
    string Version,
    DateTimeOffset StartedAt,
    string Mode,
    IReadOnlyList<AdapterStatus> Adapters,
    DateTimeOffset CheckedAt);

/// <param name="Name">database, redis, blobs…</param>
/// <param name="Kind">The implementation in use (sqlite, postgresql, in-process, redis, local, s3).</param>
public sealed record AdapterStatus(string Name, string Kind, AdapterState State, string Description);

public enum AdapterState
{
    Healthy,
    Degraded,
    Unhealthy,
    NotConfigured,
}

/// <summary>Every node of the cluster as the Dashboard shows it. Implemented by the host.</summary>
public interface IClusterStatusSource
{
    Task<IReadOnlyList<ClusterNode>> GetAsync(CancellationToken ct = default);
}

/// <param name="Backplane">connected | degraded | down | in-process.</param>
/// <param name="Lost">The node stopped reporting (three heartbeats missed).</param>
/// <param name="PendingSaveJobs">Pending save jobs whose spooled file is on the node (<c>rs.save_jobs.pending</c>).</param>
/// <param name="SyncRequestsPerSecond">Sync requests the node answered per second since its previous heartbeat (<c>rs.sync.requests</c>).</param>
public sealed record ClusterNode(
    string NodeId,
    string Version,
    DateTimeOffset StartedAt,
    DateTimeOffset SeenAt,
    bool Lost,
    int Connections,
    int Subscriptions,
    double PublicationsPerSecond,
    double DeliveriesPerSecond,
    int PendingSaveJobs,
    double SyncRequestsPerSecond,
    string Backplane,
    DateTimeOffset BackplaneSince,
    string? BackplaneReason,
    int HistoryChannels,
    int OutageBuffered);
