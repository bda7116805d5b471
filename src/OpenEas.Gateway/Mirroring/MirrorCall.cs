using Microsoft.AspNetCore.Http;

namespace OpenEas.Gateway.Mirroring;

/// <summary>One copied call waiting for the mirror sender: the request as the main service got it and what the main service answered.</summary>
internal sealed record MirrorCall(
    string Source,
    string Target,
    string Method,
    string PathAndQuery,
    KeyValuePair<string, string>[] Headers,
    byte[] Body,
    int MainStatus,
    TimeSpan MainElapsed,
    byte[]? MainBody,
    DateTimeOffset Time);

/// <summary>
/// Keeps a copy of the main answer's body (up to a limit) as it streams to the caller; the caller's stream is written
/// first and never waits on the copy.
/// </summary>
internal sealed class TeeStream(Stream inner, int limit) : Stream
{
    private readonly MemoryStream _copy = new();

    /// <summary>The copied body, or null when it was longer than the limit (then bodies are not compared).</summary>
    public byte[]? Captured => _copy.Length <= limit ? _copy.ToArray() : null;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Keep(buffer.AsSpan(offset, count));
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Keep(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (_copy.Length <= limit)
        {
            _copy.Write(data[..Math.Min(data.Length, limit + 1 - (int)_copy.Length)]);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _copy.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>What is kept of a call chosen for mirroring while the main service answers it.</summary>
internal sealed class MirrorCapture
{
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Authorization", "Content-Length", "Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "TE", "Expect",
        "Proxy-Connection",
    };

    private MirrorCapture(string[] targets, string method, string pathAndQuery, KeyValuePair<string, string>[] headers, byte[] body, TeeStream tee,
        Stream originalResponse)
    {
        Targets = targets;
        Method = method;
        PathAndQuery = pathAndQuery;
        Headers = headers;
        Body = body;
        Tee = tee;
        OriginalResponse = originalResponse;
    }

    public string[] Targets { get; }
    public string Method { get; }
    public string PathAndQuery { get; }
    public KeyValuePair<string, string>[] Headers { get; }
    public byte[] Body { get; }
    public TeeStream Tee { get; }
    public Stream OriginalResponse { get; }

    /// <summary>
    /// Buffers the request body once (the main call is then sent from the buffer) and tees the response body. Null when
    /// the body is larger than <paramref name="maxBody"/>: such calls are not copied.
    /// </summary>
    public static async ValueTask<MirrorCapture?> StartAsync(HttpContext context, string[] targets, string rest, int maxBody)
    {
        var request = context.Request;
        if (request.ContentLength > maxBody)
        {
            return null;
        }

        byte[] body;
        if (request.Body.CanSeek)
        {
            // Already buffered (a signature was checked): read it and rewind.
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy, context.RequestAborted).ConfigureAwait(false);
            request.Body.Position = 0;
            body = copy.ToArray();
        }
        else
        {
            using var copy = new MemoryStream(request.ContentLength is { } n ? (int)n : 4096);
            await request.Body.CopyToAsync(copy, context.RequestAborted).ConfigureAwait(false);
            body = copy.ToArray();
            request.Body = new MemoryStream(body, writable: false);
        }

        if (body.Length > maxBody)
        {
            return null;
        }

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers)
        {
            if (!Skipped.Contains(name))
            {
                headers.Add(new(name, values.ToString()));
            }
        }

        var original = context.Response.Body;
        var tee = new TeeStream(original, maxBody);
        context.Response.Body = tee;
        return new MirrorCapture(targets, request.Method, rest + request.QueryString.Value, [.. headers], body, tee, original);
    }
}
