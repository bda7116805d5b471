using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace OpenEas.Gateway.Auth;

/// <summary>
/// EAS's request signature: <c>Authorization: EAS base64(HMAC-SHA1(key = service token, message))</c>, where the
/// message is <c>method \n Content-MD5 \n Content-Type \n Date \n path</c>, trimmed of surrounding whitespace.
/// Pure functions over spans: no I/O, no clock (clients label their local time GMT, so skew is not judged).
/// </summary>
internal static class EasSignature
{
    /// <summary>The <c>Authorization</c> scheme that marks a signature (EAS clients send it in this case).</summary>
    public const string Scheme = "EAS ";

    /// <summary>The content type EAS clients sign (and send) when the caller gives none.</summary>
    public const string DefaultContentType = "application/octet-stream";

    /// <summary>HMAC-SHA1 output length.</summary>
    public const int MacLength = 20;

    /// <summary>Length of an MD5 in hex.</summary>
    public const int Md5HexLength = 32;

    public static bool IsSignature(ReadOnlySpan<char> authorization) =>
        authorization.TrimStart().StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Decodes the MAC after <c>EAS </c>; false when it is not base64 of exactly 20 bytes.</summary>
    public static bool TryReadMac(ReadOnlySpan<char> authorization, Span<byte> mac)
    {
        var value = authorization.Trim();
        if (!value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[MacLength + 3];
        if (!Convert.TryFromBase64Chars(value[Scheme.Length..].Trim(), decoded, out var written) || written != MacLength)
        {
            return false;
        }

        decoded[..MacLength].CopyTo(mac);
        return true;
    }

    /// <summary>The lowercase hex MD5 of what has been hashed so far (the body, for <c>Content-MD5</c>).</summary>
    public static void Md5Hex(IncrementalHash md5, Span<char> hex)
    {
        Span<byte> hash = stackalloc byte[16];
        md5.GetHashAndReset(hash);
        Convert.TryToHexStringLower(hash, hex, out _);
    }

    /// <summary>
    /// True when <paramref name="mac"/> is the signature of the message made of the other parts under
    /// <paramref name="key"/>, or under <paramref name="previousKey"/> when that is not empty. Both keys are tried
    /// whatever the first answer, and each comparison is constant-time.
    /// </summary>
    /// <param name="contentType">The request's <c>Content-Type</c>; empty means <see cref="DefaultContentType"/>.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms",
        Justification = "The EAS signature protocol is HMAC-SHA1; clients (EAS SDKs) compute exactly that.")]
    public static bool Verify(ReadOnlySpan<byte> mac, ReadOnlySpan<byte> key, ReadOnlySpan<byte> previousKey,
        ReadOnlySpan<char> method, ReadOnlySpan<char> contentMd5, ReadOnlySpan<char> contentType, ReadOnlySpan<char> date,
        ReadOnlySpan<char> path)
    {
        if (contentType.IsEmpty)
        {
            contentType = DefaultContentType;
        }

        var charCount = method.Length + contentMd5.Length + contentType.Length + date.Length + path.Length + 4;
        char[]? rentedChars = null;
        var chars = charCount <= 512 ? stackalloc char[512] : (rentedChars = ArrayPool<char>.Shared.Rent(charCount));
        byte[]? rentedBytes = null;
        try
        {
            var n = 0;
            Append(chars, ref n, method);
            chars[n++] = '\n';
            Append(chars, ref n, contentMd5);
            chars[n++] = '\n';
            Append(chars, ref n, contentType);
            chars[n++] = '\n';
            Append(chars, ref n, date);
            chars[n++] = '\n';
            Append(chars, ref n, path);
            var message = chars[..n].Trim();

            var byteCount = Encoding.UTF8.GetMaxByteCount(message.Length);
            var bytes = byteCount <= 1024 ? stackalloc byte[1024] : (rentedBytes = ArrayPool<byte>.Shared.Rent(byteCount));
            var length = Encoding.UTF8.GetBytes(message, bytes);
            Span<byte> expected = stackalloc byte[MacLength];
            HMACSHA1.HashData(key, bytes[..length], expected);
            var current = CryptographicOperations.FixedTimeEquals(expected, mac);
            var old = false;
            if (!previousKey.IsEmpty)
            {
                HMACSHA1.HashData(previousKey, bytes[..length], expected);
                old = CryptographicOperations.FixedTimeEquals(expected, mac);
            }

            return current | old;
        }
        finally
        {
            if (rentedChars is not null)
            {
                ArrayPool<char>.Shared.Return(rentedChars);
            }

            if (rentedBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBytes);
            }
        }
    }

    private static void Append(Span<char> chars, ref int n, ReadOnlySpan<char> part)
    {
        part.CopyTo(chars[n..]);
        n += part.Length;
    }
}
