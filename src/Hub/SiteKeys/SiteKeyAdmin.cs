using RealtimeSync.Admin.Services;

namespace RealtimeSync.Hub.SiteKeys;

/// <summary>
/// The backoffice's Site keys page over <see cref="SiteKeyStore"/>. A Blazor circuit lives for hours, so
/// every call takes its own scope (and DbContext) instead of holding one for the circuit's lifetime.
/// </summary>
public sealed class SiteKeyAdmin(IServiceScopeFactory scopes) : ISiteKeyAdmin
{
    public async Task<IReadOnlyList<SiteKeyInfo>> ListAsync(string tenant, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = await scope.ServiceProvider.GetRequiredService<SiteKeyStore>().ListAsync(tenant, ct);
        return rows.Select(Info).ToList();
    }

    public async Task<NewSiteKey> CreateAsync(string tenant, string name, string actor, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var (row, secret) = await scope.ServiceProvider.GetRequiredService<SiteKeyStore>().CreateAsync(tenant, name, actor, ct);
        return new NewSiteKey(Info(row), secret);
    }

    public async Task<bool> RevokeAsync(string tenant, string id, string actor, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SiteKeyStore>().RevokeAsync(tenant, id, actor, ct) is not null;
    }

    private static SiteKeyInfo Info(SiteKeyRow row) =>
        new(row.Id, row.Name, row.KeyPrefix, row.CreatedAt, row.CreatedBy, row.LastUsedAt, row.RevokedAt, row.RevokedBy);
}
