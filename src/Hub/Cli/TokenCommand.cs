using RealtimeSync.Hub.Infrastructure.Auth;
using RealtimeSync.Hub.Infrastructure.Hosting;
using RealtimeSync.Shared.Auth;
using RealtimeSync.Shared.Tenancy;
using RealtimeSync.Shared.Time;

namespace RealtimeSync.Hub.Cli;

/// <summary>
/// <c>token --tenant T --role R [--role R2] [--ttl 1h] [--sub name]</c>: prints a signed API token and
/// nothing else, so scripts can use <c>$(dotnet run --project src/Hub -- token ...)</c>.
/// </summary>
public static class TokenCommand
{
    public const string Usage = "usage: token --tenant TENANT --role operator|admin|editor|viewer [--role ...] [--ttl 1h] [--sub SUBJECT]";

    public static int Run(IReadOnlyList<string> args, IConfiguration configuration, TextWriter stdout, TextWriter stderr)
    {
        string? tenant = null, subject = null, ttlText = "1h";
        var roles = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--tenant": tenant = value; i++; break;
                case "--role": if (value is not null) { roles.Add(value); } i++; break;
                case "--ttl": ttlText = value; i++; break;
                case "--sub": subject = value; i++; break;
                default:
                    stderr.WriteLine($"unknown argument '{args[i]}'");
                    stderr.WriteLine(Usage);
                    return 2;
            }
        }

        var problems = new List<string>();
        if (!TenantId.IsValid(tenant))
        {
            problems.Add("--tenant must be a tenant id (lowercase letters, digits, '-')");
        }

        if (roles.Count == 0 || roles.Any(r => !Roles.IsKnown(r)))
        {
            problems.Add($"--role must be one of {string.Join(", ", Roles.All)}");
        }

        if (!DurationText.TryParse(ttlText, out var ttl))
        {
            problems.Add("--ttl must be a duration such as 90s, 15m, 1h or 7d");
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                stderr.WriteLine(problem);
            }

            stderr.WriteLine(Usage);
            return 2;
        }

        var issuer = new TokenIssuer(new SigningKeys(configuration, new DataDirectory(configuration)), TimeProvider.System);
        stdout.WriteLine(issuer.Issue(tenant!, subject ?? $"cli:{Environment.UserName}", roles, ttl));
        return 0;
    }
}
