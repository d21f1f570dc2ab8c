using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace RealtimeSync.Hub.Infrastructure.Persistence;

/// <summary>
/// The per-tenant change sequence (DESIGN §4). Every write that gives a row a <c>seq</c> takes its values from the
/// tenant's counter row inside its transaction: the upsert holds that row's lock until commit, so sequence numbers
/// commit in order — a reader that has seen seq N never later finds a committed N-1 (commit-safe cursors).
/// Entity writes take it at the last instant (after their entity rows are locked and written, just before the
/// change-log insert and commit), so one tenant's writers only queue behind each other for that instant;
/// document writes still take it first in their (short) transactions.
/// </summary>
internal static class TenantSequence
{
    public static Task<long> NextAsync(RealtimeSyncDb db, IDbContextTransaction tx, string tenant, CancellationToken ct) =>
        ReserveAsync(db, tx, tenant, 1, ct);

    /// <summary>Takes <paramref name="count"/> consecutive values in one statement; returns the last of them.</summary>
    public static async Task<long> ReserveAsync(RealtimeSyncDb db, IDbContextTransaction tx, string tenant, int count, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = tx.GetDbTransaction();
        command.CommandText = "INSERT INTO tenant_counters (tenant_id, last_seq) VALUES (@tenant, @count) " +
                              "ON CONFLICT (tenant_id) DO UPDATE SET last_seq = tenant_counters.last_seq + @count RETURNING last_seq";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@tenant";
        parameter.Value = tenant;
        command.Parameters.Add(parameter);
        var amount = command.CreateParameter();
        amount.ParameterName = "@count";
        amount.Value = (long)count;
        command.Parameters.Add(amount);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }
}
