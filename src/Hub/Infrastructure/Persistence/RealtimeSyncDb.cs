using Microsoft.EntityFrameworkCore;

namespace RealtimeSync.Hub.Infrastructure.Persistence;

/// <summary>
/// The product's database. The schema is owned by the hand-written SQL migrations next to this
/// file (one set per provider, see <see cref="SchemaMigrator"/>); this model only maps onto it.
/// </summary>
public sealed class RealtimeSyncDb(DbContextOptions<RealtimeSyncDb> options) : DbContext(options)
{
    public DbSet<TenantRow> Tenants => Set<TenantRow>();

    public DbSet<UserRow> Users => Set<UserRow>();

    public DbSet<DataProtectionKeyRow> DataProtectionKeys => Set<DataProtectionKeyRow>();

    protected override void OnModelCreating(ModelBuilder model)
    {
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
        model.Entity<DataProtectionKeyRow>(e =>
        {
            e.ToTable("data_protection_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.FriendlyName).HasColumnName("friendly_name");
            e.Property(x => x.Xml).HasColumnName("xml");
        });
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
