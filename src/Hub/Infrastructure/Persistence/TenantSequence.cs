using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace RealtimeSync.Hub.Infrastructure.Persistence;

/// <summary>
/// The per-tenant change sequence (DESIGN §4). Every write that gives a row a <c>seq</c> (entities and their change
/// log, documents) takes the next value first in its transaction: the upsert holds the tenant's counter row lock
/// until commit, so a tenant's writes are serialized and their sequence numbers commit in order — a reader that
/// has seen seq N never later finds a committed N-1 (commit-safe cursors).
/// </summary>
internal static class TenantSequence
{
    public static async Task<long> NextAsync(RealtimeSyncDb db, IDbContextTransaction tx, string tenant, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = tx.GetDbTransaction();
        command.CommandText = "INSERT INTO tenant_counters (tenant_id, last_seq) VALUES (@tenant, 1) " +
                              "ON CONFLICT (tenant_id) DO UPDATE SET last_seq = tenant_counters.last_seq + 1 RETURNING last_seq";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@tenant";
        parameter.Value = tenant;
        command.Parameters.Add(parameter);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }
}
