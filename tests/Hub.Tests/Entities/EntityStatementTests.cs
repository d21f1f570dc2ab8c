using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeSync.Hub.Entities;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Testing;

namespace RealtimeSync.Hub.Tests.Entities;

/// <summary>
/// The one-statement edit on PostgreSQL: written only if the row is still the version the merge was decided on,
/// and then with its change-log row and the next sequence number; otherwise nothing at all.
/// </summary>
public sealed class EntityStatementTests : BackendSuite
{
    protected override Backend Backend => Backend.Postgres;

    [Fact]
    public async Task An_edit_decided_on_a_version_that_moved_writes_nothing_and_one_on_the_current_version_writes_row_change_and_seq()
    {
        var (scope, db, row) = await SeededMemberAsync();
        await using var _ = scope;
        var counter = await CounterAsync(db);
        var changes = await db.Changes.CountAsync(c => c.TenantId == "demo");
        var read = row.Version;
        row.Version = read + 1;
        row.Fields = """{"name":"Ada L."}""";

        var stale = await EntityStatement.WriteAsync(db, row, read - 1, Change(row), CancellationToken.None);

        Assert.Null(stale);
        Assert.Equal(counter, await CounterAsync(db));
        Assert.Equal(changes, await db.Changes.CountAsync(c => c.TenantId == "demo"));
        Assert.Equal(read, (await db.Entities.AsNoTracking().SingleAsync(e => e.TenantId == "demo" && e.Id == "ada")).Version);

        var written = await EntityStatement.WriteAsync(db, row, read, Change(row), CancellationToken.None);

        Assert.Equal(counter + 1, written);
        Assert.Equal(counter + 1, await CounterAsync(db));
        var stored = await db.Entities.AsNoTracking().SingleAsync(e => e.TenantId == "demo" && e.Id == "ada");
        Assert.Equal((read + 1, """{"name":"Ada L."}"""), (stored.Version, stored.Fields));
        var change = await db.Changes.AsNoTracking().SingleAsync(c => c.TenantId == "demo" && c.Seq == written);
        Assert.Equal(("ada", "update", read + 1), (change.EntityId, change.Operation, change.Version));
    }

    [Fact]
    public async Task A_create_of_an_id_that_exists_writes_nothing()
    {
        var (scope, db, row) = await SeededMemberAsync();
        await using var _ = scope;
        var counter = await CounterAsync(db);

        Assert.Null(await EntityStatement.WriteAsync(db, row, readVersion: null, Change(row, "create"), CancellationToken.None));
        Assert.Equal(counter, await CounterAsync(db));
    }

    /// <summary>A host on a fresh database, a scope's database context and the seeded team member ada as stored.</summary>
    private async Task<(AsyncServiceScope Scope, RealtimeSyncDb Db, EntityRow Ada)> SeededMemberAsync()
    {
        var scope = Start().Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RealtimeSyncDb>();
        var ada = await db.Entities.AsNoTracking().SingleAsync(e => e.TenantId == "demo" && e.EntityType == "team" && e.Id == "ada");
        return (scope, db, ada);
    }

    private static Task<long> CounterAsync(RealtimeSyncDb db) =>
        db.TenantCounters.AsNoTracking().Where(c => c.TenantId == "demo").Select(c => c.LastSeq).SingleAsync();

    private static ChangeRow Change(EntityRow row, string operation = "update") => new()
    {
        TenantId = row.TenantId,
        EntityType = row.EntityType,
        EntityId = row.Id,
        Operation = operation,
        Version = row.Version,
        Changed = """{"name":"Ada L."}""",
        Actor = "test",
        Origin = "api",
        OccurredAt = DateTimeOffset.UtcNow,
    };
}
