namespace RealtimeSync.Shared.Tenancy;

/// <summary>What <c>GET /api/tenants/{tenant}</c> returns.</summary>
/// <param name="Id">The tenant id (slug).</param>
/// <param name="Name">Display name.</param>
/// <param name="EntityTypes">Backoffice entity types configured for this tenant.</param>
public sealed record TenantDto(string Id, string Name, IReadOnlyList<string> EntityTypes);
