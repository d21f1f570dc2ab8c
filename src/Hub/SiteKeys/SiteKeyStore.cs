using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.SiteKeys;

/// <summary>How a presented key fared.</summary>
public enum SiteKeyVerdict
{
    Missing,
    Unknown,
    Revoked,
    Valid,
}

/// <summary>Site keys in the database: create (the only moment the secret exists), list, revoke, verify.</summary>
public sealed class SiteKeyStore(RealtimeSyncDb db, TimeProvider clock, ILogger<SiteKeyStore> log)
{
    /// <summary>
    /// <c>last_used_at</c> is refreshed at most this often per key: a busy site mints a token per visitor,
    /// and the backoffice only needs to tell "in use" from "forgotten".
    /// </summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<(SiteKeyRow Row, string Secret)> CreateAsync(string tenant, string name, string actor, CancellationToken ct = default)
    {
        if (SiteKeyName.Problem(name) is { } problem)
        {
            throw new ArgumentException(problem, nameof(name));
        }

        var secret = SiteKeySecret.Generate();
        var row = new SiteKeyRow
        {
            Id = Guid.NewGuid().ToString("N"),
            TenantId = tenant,
            Name = name.Trim(),
            KeyPrefix = SiteKeySecret.Prefix(secret),
            KeyHash = SiteKeySecret.Hash(secret),
            CreatedAt = clock.GetUtcNow(),
            CreatedBy = actor,
        };
        db.SiteKeys.Add(row);
        await db.SaveChangesAsync(ct);
        SiteKeysLog.Created(log, row.Id, row.Name, row.KeyPrefix, tenant, actor);
        return (row, secret);
    }

    public async Task<IReadOnlyList<SiteKeyRow>> ListAsync(string tenant, CancellationToken ct = default)
    {
        var rows = await db.SiteKeys.AsNoTracking().Where(k => k.TenantId == tenant).ToListAsync(ct);

        // Sorted here: SQLite stores DateTimeOffset as text that EF cannot order by on the server.
        return rows.OrderByDescending(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Null when the tenant has no such key or it is already revoked (so the first revocation's author stands).</summary>
    public async Task<SiteKeyRow?> RevokeAsync(string tenant, string id, string actor, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var revoked = await db.SiteKeys
            .Where(k => k.Id == id && k.TenantId == tenant && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now).SetProperty(k => k.RevokedBy, actor), ct);
        if (revoked == 0)
        {
            return null;
        }

        SiteKeysLog.Revoked(log, id, tenant, actor);
        return await db.SiteKeys.AsNoTracking().FirstAsync(k => k.Id == id, ct);
    }

    /// <summary>
    /// Finds the key by the hash of what was presented. The index seek compares hashes, never the secret, so
    /// its timing says nothing about how close a guess was; the fixed-time comparison guards against a
    /// database that matched loosely. A malformed key is refused without a query.
    /// </summary>
    public async Task<(SiteKeyVerdict Verdict, SiteKeyRow? Key)> VerifyAsync(string? presented, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return (SiteKeyVerdict.Missing, null);
        }

        if (!SiteKeySecret.IsWellFormed(presented))
        {
            return (SiteKeyVerdict.Unknown, null);
        }

        var hash = SiteKeySecret.Hash(presented);
        var row = await db.SiteKeys.AsNoTracking().FirstOrDefaultAsync(k => k.KeyHash == hash, ct);
        if (row is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.KeyHash), Encoding.ASCII.GetBytes(hash)))
        {
            return (SiteKeyVerdict.Unknown, null);
        }

        return (row.RevokedAt is null ? SiteKeyVerdict.Valid : SiteKeyVerdict.Revoked, row);
    }

    /// <summary>Records that the key was used, unless that was already recorded within <see cref="LastUsedResolution"/>.</summary>
    public async Task MarkUsedAsync(SiteKeyRow key, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        if (key.LastUsedAt is { } last && now - last < LastUsedResolution)
        {
            return;
        }

        await db.SiteKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), ct);
    }
}
