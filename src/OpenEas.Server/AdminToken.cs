using System.Security.Cryptography;
using System.Text;

namespace OpenEas.Server;

/// <summary>The admin token: from options or <c>EAS_ADMIN_TOKEN</c>, else generated once into the data dir (mode 0600).</summary>
internal static class AdminToken
{
    public const string FileName = "admin_token";

    public static (string Token, bool Generated) Resolve(string? configured, string dataDir)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return (configured.Trim(), false);
        }

        var fromEnv = Environment.GetEnvironmentVariable("EAS_ADMIN_TOKEN");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return (fromEnv.Trim(), false);
        }

        var path = Path.Combine(dataDir, FileName);
        if (File.Exists(path))
        {
            return (File.ReadAllText(path).Trim(), false);
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using (var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.UTF8.GetBytes(token + "\n"));
        }

        return (token, true);
    }

    public static bool Matches(string expected, string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = Encoding.UTF8.GetBytes(authorization[7..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(expected));
    }
}
