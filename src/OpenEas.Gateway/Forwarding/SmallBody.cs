using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace OpenEas.Gateway.Forwarding;

/// <summary>
/// Small request bodies (most predict calls) are read whole before the call is forwarded, so the instance gets the
/// request line, headers and body in one write, as nginx sends them. Streamed through YARP, the headers leave in a
/// write of their own and the instance wakes twice per call, which costs it about as much CPU as the call itself.
/// A body held in memory can also be sent again when the first instance could not be reached.
/// </summary>
internal static class SmallBody
{
    /// <summary>Bodies up to this size (with a Content-Length) are held in memory; larger ones stream.</summary>
    public const int Limit = 64 * 1024;

    /// <summary>Set on the outgoing request when its body is in memory: <see cref="OneWriteHandler"/> sends it with the headers.</summary>
    public static readonly HttpRequestOptionsKey<bool> InMemory = new("eas.body-in-memory");

    /// <summary>True when the call's body is worth reading whole first: known, small, and not an upgrade (WebSocket).</summary>
    public static bool Fits(HttpRequest request) =>
        request.ContentLength is > 0 and <= Limit && !request.Body.CanSeek
        && request.HttpContext.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true };

    /// <summary>True when the body can be sent again from its start (held in memory, or buffered for a signature check).</summary>
    public static bool IsReplayable(HttpRequest request) => request.Body.CanSeek;

    /// <summary>Reads the whole body into a pooled buffer and puts it in place of the request stream.</summary>
    /// <exception cref="BadHttpRequestException">The body was shorter than its Content-Length, or too slow.</exception>
    public static async ValueTask ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var length = (int)context.Request.ContentLength!.Value;
        var stream = new PooledBodyStream(length);
        context.Response.RegisterForDispose(stream);
        await context.Request.Body.ReadExactlyAsync(stream.Buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        context.Request.Body = stream;
    }

    /// <summary>A read-only stream over a pooled array, returned to the pool when the call ends.</summary>
    private sealed class PooledBodyStream : MemoryStream
    {
        private byte[]? _buffer;

        public PooledBodyStream(int length)
            : this(ArrayPool<byte>.Shared.Rent(length), length)
        {
        }

        private PooledBodyStream(byte[] buffer, int length)
            : base(buffer, 0, length, writable: false, publiclyVisible: true)
        {
            _buffer = buffer;
        }

        public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledBodyStream));

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}

/// <summary>
/// Sends a request whose body is in memory (<see cref="SmallBody.InMemory"/>) in one write with its headers: the body
/// is loaded into the content first, so the client writes it straight after the headers instead of flushing them alone.
/// </summary>
internal sealed class OneWriteHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.Content is { } content && request.Options.TryGetValue(SmallBody.InMemory, out var inMemory) && inMemory
            ? SendLoadedAsync(request, content, cancellationToken)
            : base.SendAsync(request, cancellationToken);

    private async Task<HttpResponseMessage> SendLoadedAsync(HttpRequestMessage request, HttpContent content, CancellationToken cancellationToken)
    {
        await content.LoadIntoBufferAsync(SmallBody.Limit, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
