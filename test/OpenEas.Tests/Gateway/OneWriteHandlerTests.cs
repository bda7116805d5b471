using System.Net;
using OpenEas.Gateway.Forwarding;

namespace OpenEas.Tests.Gateway;

/// <summary>
/// A forwarded body that is already in memory must reach the connection as one write right after the headers; the
/// forwarder's own content flushes the headers first, which makes the instance read every call twice.
/// </summary>
public class OneWriteHandlerTests
{
    [Theory]
    [InlineData(true, "write 2048")]
    [InlineData(false, "flush, write 1000, write 1048")]
    public async Task A_body_in_memory_is_written_once_and_a_streamed_one_as_it_comes(bool inMemory, string expected)
    {
        var recorder = new RecordingStream();
        using var invoker = new HttpMessageInvoker(new OneWriteHandler(new SerializingHandler(recorder)));
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:1/") { Content = new FlushFirstContent(new byte[2048]) };
        request.Content.Headers.ContentLength = 2048;
        if (inMemory)
        {
            request.Options.Set(SmallBody.InMemory, true);
        }

        using var response = await invoker.SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, string.Join(", ", recorder.Operations));
    }

    /// <summary>Like the forwarder's content: flushes (so the headers leave), then copies the body in pieces.</summary>
    private sealed class FlushFirstContent(byte[] body) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.FlushAsync();
            await stream.WriteAsync(body.AsMemory(0, 1000));
            await stream.WriteAsync(body.AsMemory(1000));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    /// <summary>Stands for the connection: copies the request content into the recorder and answers 200.</summary>
    private sealed class SerializingHandler(Stream connection) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await request.Content!.CopyToAsync(connection, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }

    private sealed class RecordingStream : Stream
    {
        public List<string> Operations { get; } = [];

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => Operations.Add("flush");

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Operations.Add("flush");
            return Task.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => Operations.Add($"write {count}");

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Operations.Add($"write {buffer.Length}");
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
