using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Persistence;
using RealtimeSync.Shared.Auth;

namespace RealtimeSync.Hub.Backoffice;

/// <summary>
/// Backoffice sign-in. Operators are named by configuration, not stored per user: <c>Admin:Operators</c> (user names,
/// default: the seeded <c>Admin:UserName</c> account). Only an account with the admin role can be one, and a tenant
/// admin is never an operator unless named there.
/// </summary>
public sealed partial class AdminAccounts(RealtimeSyncDb db, IPasswordHasher<UserRow> hasher, LoginThrottle throttle, IConfiguration configuration, ILogger<AdminAccounts> log) : IAdminAccounts
{
    public async Task<AdminAccount?> VerifyAsync(string userName, string password, CancellationToken ct = default)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.UserName == userName, ct);
        // Every attempt costs one password hash, for unknown names and locked ones too: the answer time says
        // nothing about whether the name exists.
        var result = hasher.VerifyHashedPassword(user ?? DummyUser, user?.PasswordHash ?? DummyHash, password);
        if (throttle.IsLocked(userName))
        {
            LogLocked(log, userName);
            return null;
        }

        if (user is null || result == PasswordVerificationResult.Failed)
        {
            throttle.Failed(userName);
            LogRefused(log, userName);
            return null;
        }

        throttle.Succeeded(userName);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = hasher.HashPassword(user, password);
            await db.SaveChangesAsync(ct);
        }

        var isOperator = user.Role == Roles.Admin && Operators(configuration).Contains(user.UserName, StringComparer.Ordinal);
        LogSignedIn(log, userName, isOperator ? $"{user.Role}+{Roles.Operator}" : user.Role);
        return new AdminAccount(user.Id, user.UserName, user.Role, user.TenantId, isOperator);
    }

    /// <summary><c>Admin:Operators</c>, or the seeded account (<c>Admin:UserName</c>, default "admin") when unset.</summary>
    public static IReadOnlyList<string> Operators(IConfiguration configuration) =>
        configuration.GetSection("Admin:Operators").Get<string[]>() is { Length: > 0 } named
            ? named
            : [configuration["Admin:UserName"] is { Length: > 0 } seeded ? seeded : "admin"];

    private static readonly UserRow DummyUser = new() { Id = "", UserName = "", PasswordHash = "", Role = "", TenantId = "" };

    // A hash of a random password made with the same hasher settings as real ones (PBKDF2, same iteration count).
    private static readonly string DummyHash = new PasswordHasher<UserRow>().HashPassword(DummyUser, Guid.NewGuid().ToString("N"));

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Backoffice sign-in of {UserName} refused: locked after repeated wrong passwords")]
    private static partial void LogLocked(ILogger logger, string userName);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Backoffice sign-in of {UserName} as {Role}")]
    private static partial void LogSignedIn(ILogger logger, string userName, string role);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Backoffice sign-in refused for {UserName}")]
    private static partial void LogRefused(ILogger logger, string userName);
}
