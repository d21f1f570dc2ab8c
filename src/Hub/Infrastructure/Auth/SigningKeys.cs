using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using RealtimeSync.Hub.Infrastructure.Hosting;

namespace RealtimeSync.Hub.Infrastructure.Auth;

/// <summary>
/// The HS256 key that signs API tokens, and keys derived from it for other signatures (presigned local
/// blob links). <c>Auth:Jwt:SigningKey</c> wins; in embedded mode a key is generated once and kept in
/// <c>{data}/keys/jwt-signing.key</c>. Several nodes must share the configured key.
/// </summary>
public sealed class SigningKeys
{
    public const int MinimumKeyBytes = 32;

    public SigningKeys(IConfiguration configuration, DataDirectory data)
    {
        var configured = configuration["Auth:Jwt:SigningKey"];
        if (!string.IsNullOrEmpty(configured))
        {
            Key = Encoding.UTF8.GetBytes(configured);
            if (Key.Length < MinimumKeyBytes)
            {
                throw new InvalidOperationException($"Auth:Jwt:SigningKey must be at least {MinimumKeyBytes} bytes long for HS256.");
            }

            Source = "configuration";
        }
        else
        {
            Key = LoadOrCreate(data.Combine("keys", "jwt-signing.key"));
            Source = "data folder";
        }

        Issuer = configuration["Auth:Jwt:Issuer"] is { Length: > 0 } issuer ? issuer : "realtime-sync";
        Audience = configuration["Auth:Jwt:Audience"] is { Length: > 0 } audience ? audience : "realtime-sync";
        SecurityKey = new SymmetricSecurityKey(Key) { KeyId = Convert.ToHexStringLower(SHA256.HashData(Key))[..16] };
    }

    public byte[] Key { get; }

    public string Source { get; }

    public string Issuer { get; }

    public string Audience { get; }

    public SymmetricSecurityKey SecurityKey { get; }

    /// <summary>A separate key per purpose, so a signature made for one use is worthless for another.</summary>
    public byte[] Derive(string purpose) => HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes(purpose));

    private static byte[] LoadOrCreate(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            try
            {
                using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                file.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(64))));
                file.Flush(flushToDisk: true);
            }
            catch (IOException) when (File.Exists(path))
            {
                // another process created it first; use theirs
            }
        }

        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }
}
