using System.Buffers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenEas.Core.Routing;

namespace OpenEas.Gateway.Auth;

/// <summary>
/// Authenticates a call to <c>/api/predict/{service}</c>: the plain token (zero-copy), the EAS signature
/// (<see cref="EasSignature"/>; the body is buffered once to check <c>Content-MD5</c>), a rotated-out token
/// during its grace, or nothing at all for an anonymous service. Tokens are compared in constant time and
/// never logged.
/// </summary>
internal static class ServiceAuth
{
    internal const string Missing = "missing Authorization header: send the service token";
    internal const string InvalidToken = "invalid service token";
    internal const string MalformedSignature = "malformed signature: expected 'Authorization: EAS <base64 HMAC-SHA1>'";
    internal const string BodyMismatch = "body does not match Content-MD5";
    internal const string InvalidSignature =
        "invalid signature (signed: method, Content-MD5, Content-Type, Date and the request path, with the service token)";

    /// <summary>Null when the call may pass; otherwise why not (the gateway answers 401 with it).</summary>
    /// <remarks>
    /// For a signature the request body is read to its end and rewound (<see cref="HttpRequestRewindExtensions.EnableBuffering(HttpRequest)"/>),
    /// so forwarding still sends all of it. Plain tokens never touch the body.
    /// </remarks>
    /// <param name="cookieToken">For a web app: the token from its cookie, used when no header is sent.</param>
    public static ValueTask<string?> CheckAsync(HttpContext context, ServiceRoute route, string? cookieToken = null)
    {
        if (route.Anonymous)
        {
            return ValueTask.FromResult<string?>(null);
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.AsSpan().Trim().IsEmpty && !string.IsNullOrEmpty(cookieToken))
        {
            authorization = cookieToken;
        }

        if (authorization.AsSpan().Trim().IsEmpty)
        {
            return ValueTask.FromResult<string?>(Missing);
        }

        if (EasSignature.IsSignature(authorization))
        {
            return CheckSignatureAsync(context, route, authorization);
        }

        return ValueTask.FromResult(TokenCheck.IsAuthorized(route, authorization, Now(context, route)) ? null : InvalidToken);
    }

    private static async ValueTask<string?> CheckSignatureAsync(HttpContext context, ServiceRoute route, string authorization)
    {
        if (!IsWellFormed(authorization))
        {
            return MalformedSignature;
        }

        var request = context.Request;
        request.EnableBuffering();
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                md5.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        request.Body.Position = 0;
        return Verify(context, route, authorization, md5);
    }

    /// <summary>Checked before the body is read, so a garbled header costs no buffering.</summary>
    private static bool IsWellFormed(string authorization)
    {
        Span<byte> mac = stackalloc byte[EasSignature.MacLength];
        return EasSignature.TryReadMac(authorization, mac);
    }

    private static string? Verify(HttpContext context, ServiceRoute route, string authorization, IncrementalHash md5)
    {
        var request = context.Request;
        Span<byte> mac = stackalloc byte[EasSignature.MacLength];
        EasSignature.TryReadMac(authorization, mac);
        Span<char> bodyMd5 = stackalloc char[EasSignature.Md5HexLength];
        EasSignature.Md5Hex(md5, bodyMd5);

        // The client signs the Content-MD5 it sends; without one, the body's own MD5 stands in (the body is signed either way).
        scoped ReadOnlySpan<char> sentMd5 = request.Headers["Content-MD5"].ToString().AsSpan().Trim();
        if (sentMd5.IsEmpty)
        {
            sentMd5 = bodyMd5;
        }
        else if (!sentMd5.Equals(bodyMd5, StringComparison.OrdinalIgnoreCase))
        {
            return BodyMismatch;
        }

        var previous = route.PreviousTokenBytes is { } p && Now(context, route) < route.PreviousTokenExpires ? p : default(ReadOnlySpan<byte>);
        var ok = EasSignature.Verify(mac, route.TokenBytes, previous, request.Method, sentMd5, request.ContentType.AsSpan().Trim(),
            request.Headers.Date.ToString().AsSpan().Trim(), SignedPath(context));
        return ok ? null : InvalidSignature;
    }

    /// <summary>
    /// The path as the client sent it (sub-path included, query string excluded, not decoded): EAS clients sign the
    /// very <c>/api/predict/...</c> string they put in the URL.
    /// </summary>
    internal static ReadOnlySpan<char> SignedPath(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            // Absolute-form or unknown target: fall back to the decoded path.
            return (context.Request.PathBase + context.Request.Path).Value ?? "";
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? raw : raw.AsSpan(0, query);
    }

    /// <summary>The server's clock, read only when a rotated-out token is still published.</summary>
    private static DateTimeOffset Now(HttpContext context, ServiceRoute route) =>
        route.PreviousTokenBytes is null
            ? default
            : (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
}
