using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Hub.Sync.Internal;
using RealtimeSync.Shared.Entities;
using RealtimeSync.Shared.Sync;

namespace RealtimeSync.Hub.Sync;

/// <summary>
/// The backoffice's Sync page over the sync tables and <see cref="SyncService"/>. Every call takes its own scope
/// (a circuit lives for hours). Times are sorted and filtered in memory: SQLite cannot order DateTimeOffset
/// columns, and every list here is bounded.
/// </summary>
public sealed class SyncAdmin(IServiceScopeFactory scopes, TimeProvider clock, ILogger<SyncAdmin> log) : ISyncAdmin
{
    private const int MaxRows = 1000;

    public async Task<IReadOnlyList<SyncClientInfo>> ClientsAsync(string tenant, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var clients = await db.SyncClients.AsNoTracking().Where(c => c.TenantId == tenant).Take(MaxRows).ToListAsync(ct);
        var pending = await db.SyncConflicts.AsNoTracking().Where(c => c.TenantId == tenant && c.Status == "pending")
            .GroupBy(c => c.ClientId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var latest = await db.TenantCounters.AsNoTracking().Where(c => c.TenantId == tenant).Select(c => (long?)c.LastSeq).FirstOrDefaultAsync(ct) ?? 0;
        var cursors = clients.Where(c => c.LastCursorSeq is > 0).Select(c => c.LastCursorSeq!.Value).Distinct().ToList();
        var cursorTimes = await db.Changes.AsNoTracking().Where(c => c.TenantId == tenant && cursors.Contains(c.Seq))
            .Select(c => new { c.Seq, c.OccurredAt }).ToDictionaryAsync(c => c.Seq, c => c.OccurredAt, ct);
        return clients
            .Select(c => new SyncClientInfo(
                c.ClientId,
                c.LastSeenAt,
                c.LastUpAt,
                c.LastDownAt,
                c.LastCursorSeq is { } seq && cursorTimes.TryGetValue(seq, out var at) ? at : null,
                c.LastCursorSeq is { } s ? Math.Max(0, latest - s) : latest,
                pending.GetValueOrDefault(c.ClientId)))
            .OrderByDescending(c => c.LastSeenAt)
            .ToList();
    }

    public async Task<IReadOnlyList<SyncConflictInfo>> ConflictsAsync(string tenant, bool includeResolved, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var rows = await db.SyncConflicts.AsNoTracking().Where(c => c.TenantId == tenant && (includeResolved || c.Status == "pending")).Take(MaxRows).ToListAsync(ct);
        var store = scope.ServiceProvider.GetRequiredService<RealtimeSync.Hub.Entities.EntityStore>();
        var result = new List<SyncConflictInfo>();
        foreach (var row in rows.OrderByDescending(r => r.CreatedAt))
        {
            var server = row.ServerData is null ? null : JsonSerializer.Deserialize<EntityDto>(row.ServerData, JsonSerializerOptions.Web);
            var current = await store.GetAsync(tenant, row.EntityType, row.EntityId, ct);
            var conflicting = JsonSerializer.Deserialize<List<FieldConflict>>(row.Fields, JsonSerializerOptions.Web)!.Select(f => f.Field).ToList();
            result.Add(new SyncConflictInfo(
                row.ClientId, row.EventId, row.EntityType, row.EntityId, row.Operation, row.Reason, row.BaseVersion, server?.Version, conflicting,
                Texts(JsonNode.Parse(row.LocalPayload)!.AsObject()),
                server is null ? new Dictionary<string, string>() : Texts(server.Fields),
                current is null || current.Deleted ? new Dictionary<string, string>() : Texts(current.Fields),
                row.Status, row.Resolution, row.ResolvedBy, row.CreatedAt, row.ResolvedAt));
        }

        return result;
    }

    public async Task<string?> ResolveAsync(string tenant, string clientId, string eventId, string resolution, IReadOnlyDictionary<string, string>? mergedFields, string actor, CancellationToken ct = default)
    {
        if (SyncNames.ParseResolution(resolution) is not { } parsed)
        {
            return $"Unknown resolution '{resolution}'.";
        }

        JsonObject? fields = null;
        if (mergedFields is not null)
        {
            fields = [];
            foreach (var (name, text) in mergedFields)
            {
                try
                {
                    fields[name] = JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    return $"The value of {name} is not valid JSON.";
                }
            }
        }

        // Resolutions from the backoffice are audited like those made through the API.
        var audit = new SyncAudit("resolve", tenant, clientId);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var sync = scope.ServiceProvider.GetRequiredService<SyncService>();
            var outcome = await sync.ResolveAsync(tenant, clientId, eventId, parsed, fields, actor, parsed == ConflictResolution.KeepLocal ? clientId : "admin", ct);
            var error = outcome.Status == ResolveStatus.Resolved ? null
                : outcome.Errors is { Count: > 0 } errors ? string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))
                : outcome.Detail;
            audit.Status = error is null ? "ok" : "invalid";
            audit.Acknowledged = error is null ? 1 : 0;
            audit.Error = error;
            return error;
        }
        catch (Exception e)
        {
            audit.Error = e.GetType().Name + ": " + e.Message;
            throw;
        }
        finally
        {
            await audit.WriteAsync(scopes, clock, log);
        }
    }

    public async Task<IReadOnlyList<SyncLogEntry>> LogAsync(string tenant, SyncLogFilter filter, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var query = db.SyncLog.AsNoTracking().Where(l => l.TenantId == tenant);
        if (!string.IsNullOrWhiteSpace(filter.ClientId))
        {
            query = query.Where(l => l.ClientId == filter.ClientId.Trim());
        }

        if (!string.IsNullOrWhiteSpace(filter.Direction))
        {
            query = query.Where(l => l.Direction == filter.Direction);
        }

        if (!string.IsNullOrWhiteSpace(filter.Status))
        {
            query = query.Where(l => l.Status == filter.Status);
        }

        var rows = await query.OrderByDescending(l => l.Id).Take(Math.Clamp(filter.Limit, 1, MaxRows)).ToListAsync(ct);
        return rows.Select(l => new SyncLogEntry(l.Id, l.At, l.ClientId, l.Direction, l.Status, l.Events, l.Acknowledged, l.Conflicts, l.Rejected, l.Changes, l.DurationMs, l.Error)).ToList();
    }

    public async Task<SyncStats> StatsAsync(string tenant, int hours, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var since = clock.GetUtcNow().AddHours(-Math.Max(1, hours));

        // The newest 10,000 requests bound the work; a busier window is summarised over those.
        var recent = (await db.SyncLog.AsNoTracking().Where(l => l.TenantId == tenant).OrderByDescending(l => l.Id).Take(10_000).ToListAsync(ct))
            .Where(l => l.At >= since).ToList();
        var clients = await db.SyncClients.CountAsync(c => c.TenantId == tenant, ct);
        var pending = await db.SyncConflicts.CountAsync(c => c.TenantId == tenant && c.Status == "pending", ct);
        return new SyncStats(
            clients,
            recent.Count,
            recent.Count(l => l.Status is not ("ok" or "partial")),
            recent.Where(l => l.Direction == "up").Sum(l => l.Events),
            recent.Sum(l => l.Changes),
            recent.Sum(l => l.Conflicts),
            pending,
            recent.Count == 0 ? 0 : recent.Average(l => l.DurationMs));
    }

    private static Dictionary<string, string> Texts(JsonObject fields) =>
        fields.ToDictionary(f => f.Key, f => f.Value?.ToJsonString() ?? "null");
}
