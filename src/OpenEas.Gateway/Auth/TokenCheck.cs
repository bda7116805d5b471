using System.Security.Cryptography;
using System.Text;
using OpenEas.Core.Routing;

namespace OpenEas.Gateway.Auth;

/// <summary>Checks a call's <c>Authorization</c> header against the service token, in constant time.</summary>
internal static class TokenCheck
{
    public static bool IsAuthorized(ServiceRoute route, string? authorization)
    {
        if (string.IsNullOrEmpty(authorization))
        {
            return false;
        }

        var presented = authorization.AsSpan().Trim();
        if (presented.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = presented[7..].Trim();
        }

        Span<byte> buffer = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(presented.Length);
        var bytes = max <= buffer.Length ? buffer : new byte[max];
        var length = Encoding.UTF8.GetBytes(presented, bytes);
        return CryptographicOperations.FixedTimeEquals(bytes[..length], route.TokenBytes);
    }
}
