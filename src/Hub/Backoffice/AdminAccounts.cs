using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using RealtimeSync.Admin.Services;
using RealtimeSync.Hub.Infrastructure.Persistence;

namespace RealtimeSync.Hub.Backoffice;

public sealed partial class AdminAccounts(RealtimeSyncDb db, IPasswordHasher<UserRow> hasher, ILogger<AdminAccounts> log) : IAdminAccounts
{
    public async Task<AdminAccount?> VerifyAsync(string userName, string password, CancellationToken ct = default)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.UserName == userName, ct);
        if (user is null)
        {
            LogRefused(log, userName);
            return null;
        }

        var result = hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            LogRefused(log, userName);
            return null;
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = hasher.HashPassword(user, password);
            await db.SaveChangesAsync(ct);
        }

        LogSignedIn(log, userName, user.Role);
        return new AdminAccount(user.Id, user.UserName, user.Role, user.TenantId);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Backoffice sign-in of {UserName} as {Role}")]
    private static partial void LogSignedIn(ILogger logger, string userName, string role);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Backoffice sign-in refused for {UserName}")]
    private static partial void LogRefused(ILogger logger, string userName);
}
