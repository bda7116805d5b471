using System.Security.Cryptography;
using System.Text;
using OpenEas.Core.Routing;

namespace OpenEas.Gateway.Auth;

/// <summary>Checks a plain service token (<c>Authorization: &lt;token&gt;</c> or <c>Bearer &lt;token&gt;</c>) in constant time.</summary>
internal static class TokenCheck
{
    /// <summary>True when <paramref name="authorization"/> is the route's token, or its previous token while that is in its grace.</summary>
    public static bool IsAuthorized(ServiceRoute route, ReadOnlySpan<char> authorization, DateTimeOffset now) =>
        Matches(authorization, route.TokenBytes, route.PreviousTokenBytes is { } previous && now < route.PreviousTokenExpires ? previous : default);

    /// <summary>Compares the presented token with <paramref name="token"/> and, when given, <paramref name="previous"/>.</summary>
    public static bool Matches(ReadOnlySpan<char> authorization, ReadOnlySpan<byte> token, ReadOnlySpan<byte> previous)
    {
        var presented = authorization.Trim();
        if (presented.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = presented[7..].Trim();
        }

        if (presented.IsEmpty)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(presented.Length);
        var bytes = max <= buffer.Length ? buffer : new byte[max];
        var length = Encoding.UTF8.GetBytes(presented, bytes);
        var current = CryptographicOperations.FixedTimeEquals(bytes[..length], token);
        // Both are compared whatever the first answer, so the time taken does not tell which one matched.
        var old = !previous.IsEmpty && CryptographicOperations.FixedTimeEquals(bytes[..length], previous);
        return current | old;
    }
}
