using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Hub.Infrastructure.Persistence;

/// <summary>
/// Makes a fresh installation usable: the demo tenant and the first admin account. The admin's
/// password is <c>Admin:InitialPassword</c> when set; otherwise one is generated and logged once,
/// at the start that created the account (it is never logged again).
/// </summary>
public sealed partial class DatabaseSeeder(RealtimeSyncDb db, IConfiguration configuration, IPasswordHasher<UserRow> hasher, TimeProvider clock, ILogger<DatabaseSeeder> log)
{
    public const string DemoTenant = "demo";

    public async Task SeedAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        if (!await db.Tenants.AnyAsync(t => t.Id == DemoTenant, ct))
        {
            db.Tenants.Add(new TenantRow { Id = DemoTenant, Name = "Demo", CreatedAt = now });
            await SaveIgnoringRaceAsync(ct);
        }

        // This database's identity (see migration 0004), made once.
        await db.Database.ExecuteSqlAsync($"INSERT INTO installation (id, created_at) SELECT {Guid.NewGuid().ToString("N")}, {now} WHERE NOT EXISTS (SELECT 1 FROM installation)", ct);

        var userName = configuration["Admin:UserName"] is { Length: > 0 } configured ? configured : "admin";
        if (await db.Users.AnyAsync(u => u.UserName == userName, ct))
        {
            return;
        }

        var password = configuration["Admin:InitialPassword"];
        var generated = string.IsNullOrEmpty(password);
        if (generated)
        {
            password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('+', 'x').Replace('/', 'y');
        }

        var user = new UserRow
        {
            Id = Guid.NewGuid().ToString("N"),
            UserName = userName,
            PasswordHash = "",
            Role = Roles.Admin,
            TenantId = DemoTenant,
            CreatedAt = now,
        };
        user.PasswordHash = hasher.HashPassword(user, password!);
        db.Users.Add(user);
        if (!await SaveIgnoringRaceAsync(ct))
        {
            return; // another node created the account first; its password stands
        }

        if (generated)
        {
            LogGeneratedPassword(log, userName, password!);
        }
        else
        {
            LogConfiguredPassword(log, userName);
        }
    }

    /// <summary>Several nodes may seed at once; a unique-key violation means another one won.</summary>
    private async Task<bool> SaveIgnoringRaceAsync(CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return false;
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Created admin user {UserName} with generated initial password {InitialPassword} (shown once; change it or set Admin:InitialPassword)")]
    private static partial void LogGeneratedPassword(ILogger logger, string userName, string initialPassword);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Created admin user {UserName} with the password from Admin:InitialPassword")]
    private static partial void LogConfiguredPassword(ILogger logger, string userName);
}
