using Microsoft.EntityFrameworkCore;
using RealtimeSync.Hub.Documents;
using RealtimeSync.Hub.SiteKeys;
using RealtimeSync.Hub.Sync;

namespace RealtimeSync.Hub.Infrastructure.Persistence;

/// <summary>
/// The product's database. The schema is owned by the hand-written SQL migrations next to this
/// file (one set per provider, see <see cref="SchemaMigrator"/>); this model only maps onto it.
/// </summary>
public sealed class RealtimeSyncDb : DbContext
{
    /// <summary>
    /// Without automatic savepoints: EF otherwise wraps every SaveChanges inside an explicit transaction in
    /// SAVEPOINT / RELEASE (two more round trips each — four of an edit's nine), only so that the transaction stays
    /// usable after a failed save. No code here goes on with a transaction whose save failed: it rolls back and,
    /// where it retries, starts a new one.
    /// </summary>
    public RealtimeSyncDb(DbContextOptions<RealtimeSyncDb> options)
        : base(options)
    {
        Database.AutoSavepointsEnabled = false;
    }

    public DbSet<TenantRow> Tenants => Set<TenantRow>();

    public DbSet<UserRow> Users => Set<UserRow>();

    public DbSet<DataProtectionKeyRow> DataProtectionKeys => Set<DataProtectionKeyRow>();

    public DbSet<EntityRow> Entities => Set<EntityRow>();

    public DbSet<ChangeRow> Changes => Set<ChangeRow>();

    public DbSet<TenantCounterRow> TenantCounters => Set<TenantCounterRow>();

    public DbSet<SiteKeyRow> SiteKeys => Set<SiteKeyRow>();

    public DbSet<OutboxReceiptRow> OutboxReceipts => Set<OutboxReceiptRow>();

    public DbSet<SyncConflictRow> SyncConflicts => Set<SyncConflictRow>();

    public DbSet<SyncClientRow> SyncClients => Set<SyncClientRow>();

    public DbSet<SyncLogRow> SyncLog => Set<SyncLogRow>();

    public DbSet<DocumentRow> Documents => Set<DocumentRow>();

    public DbSet<DocumentVersionRow> DocumentVersions => Set<DocumentVersionRow>();

    public DbSet<SaveJobRow> SaveJobs => Set<SaveJobRow>();

    public DbSet<DocumentCallbackRow> DocumentCallbacks => Set<DocumentCallbackRow>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        DocumentModel.Configure(model);
        model.Entity<TenantRow>(e =>
        {
            e.ToTable("tenants");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });
        model.Entity<UserRow>(e =>
        {
            e.ToTable("users");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.UserName).HasColumnName("user_name");
            e.Property(x => x.PasswordHash).HasColumnName("password_hash");
            e.Property(x => x.Role).HasColumnName("role");
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });
        model.Entity<EntityRow>(e =>
        {
            e.ToTable("entities");
            e.HasKey(x => new { x.TenantId, x.EntityType, x.Id });
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.EntityType).HasColumnName("entity_type");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.Fields).HasColumnName("fields");
            e.Property(x => x.FieldVersions).HasColumnName("field_versions");
            e.Property(x => x.Deleted).HasColumnName("deleted");
            e.Property(x => x.DeletedAt).HasColumnName("deleted_at");
            e.Property(x => x.DeletedBy).HasColumnName("deleted_by");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.CreatedBy).HasColumnName("created_by");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.Property(x => x.UpdatedBy).HasColumnName("updated_by");
        });
        model.Entity<ChangeRow>(e =>
        {
            e.ToTable("changes");
            e.HasKey(x => new { x.TenantId, x.Seq });
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.Seq).HasColumnName("seq").ValueGeneratedNever();
            e.Property(x => x.EntityType).HasColumnName("entity_type");
            e.Property(x => x.EntityId).HasColumnName("entity_id");
            e.Property(x => x.Operation).HasColumnName("operation");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.Changed).HasColumnName("changed");
            e.Property(x => x.Conflicts).HasColumnName("conflicts");
            e.Property(x => x.Actor).HasColumnName("actor");
            e.Property(x => x.Origin).HasColumnName("origin");
            e.Property(x => x.OccurredAt).HasColumnName("occurred_at");
        });
        model.Entity<TenantCounterRow>(e =>
        {
            e.ToTable("tenant_counters");
            e.HasKey(x => x.TenantId);
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.LastSeq).HasColumnName("last_seq");
        });
        model.Entity<SiteKeyRow>(e =>
        {
            e.ToTable("site_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.KeyPrefix).HasColumnName("key_prefix");
            e.Property(x => x.KeyHash).HasColumnName("key_hash");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.CreatedBy).HasColumnName("created_by");
            e.Property(x => x.RevokedAt).HasColumnName("revoked_at");
            e.Property(x => x.RevokedBy).HasColumnName("revoked_by");
            e.Property(x => x.LastUsedAt).HasColumnName("last_used_at");
        });
        model.Entity<DataProtectionKeyRow>(e =>
        {
            e.ToTable("data_protection_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.FriendlyName).HasColumnName("friendly_name");
            e.Property(x => x.Xml).HasColumnName("xml");
        });
        SyncRows.Configure(model);
    }
}

public sealed class DataProtectionKeyRow
{
    public long Id { get; init; }

    public required string FriendlyName { get; init; }

    public required string Xml { get; init; }
}

public sealed class TenantRow
{
    public required string Id { get; init; }

    public required string Name { get; set; }

    public DateTimeOffset CreatedAt { get; init; }
}

public sealed class UserRow
{
    public required string Id { get; init; }

    public required string UserName { get; init; }

    public required string PasswordHash { get; set; }

    public required string Role { get; set; }

    public required string TenantId { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

public sealed class EntityRow
{
    public required string TenantId { get; init; }

    public required string EntityType { get; init; }

    public required string Id { get; init; }

    public long Version { get; set; }

    /// <summary>JSON object of field values.</summary>
    public required string Fields { get; set; }

    /// <summary>JSON object: field → entity version that last changed it.</summary>
    public required string FieldVersions { get; set; }

    public bool Deleted { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }

    public string? DeletedBy { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public required string CreatedBy { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public required string UpdatedBy { get; set; }

    /// <summary>A detached copy (every member is immutable or a value: a shallow copy is a full one).</summary>
    public EntityRow Copy() => (EntityRow)MemberwiseClone();
}

public sealed class ChangeRow
{
    public required string TenantId { get; init; }

    public long Seq { get; init; }

    public required string EntityType { get; init; }

    public required string EntityId { get; init; }

    /// <summary>create | update | delete.</summary>
    public required string Operation { get; init; }

    public long Version { get; init; }

    /// <summary>JSON object of the changed fields with their new values (null = cleared).</summary>
    public required string Changed { get; init; }

    /// <summary>JSON array of conflicting field names that last-writer-wins overwrote, or null.</summary>
    public string? Conflicts { get; init; }

    public required string Actor { get; init; }

    public required string Origin { get; init; }

    public DateTimeOffset OccurredAt { get; init; }
}

public sealed class TenantCounterRow
{
    public required string TenantId { get; init; }

    public long LastSeq { get; init; }
}
