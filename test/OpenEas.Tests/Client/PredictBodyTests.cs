using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenEas.Client;

namespace OpenEas.Tests.Client;

/// <summary>What a predict call returns when the answer arrives whole, and when it breaks off before its Content-Length.</summary>
public class PredictBodyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(1_048_576)]
    public async Task The_body_comes_back_whole(int length)
    {
        var body = new byte[length];
        new Random(length).NextBytes(body);
        await using var server = await OneAnswerServer.StartAsync(body, body.Length);
        using var client = new EasClient(server.Endpoint, null);

        var result = await client.PredictAsync("svc", "token", Encoding.UTF8.GetBytes("hi"));

        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal(body, result.Body);
    }

    [Fact]
    public async Task An_answer_cut_short_is_a_readable_error_not_a_short_body()
    {
        await using var server = await OneAnswerServer.StartAsync(Encoding.UTF8.GetBytes("hello"), announced: 100);
        using var client = new EasClient(server.Endpoint, null);

        var error = await Assert.ThrowsAsync<EasApiException>(() => client.PredictAsync("svc", "token", Encoding.UTF8.GetBytes("hi")));

        Assert.Equal("ConnectionLost", error.Code);
        Assert.Contains("broke off", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A socket on 127.0.0.1 that reads one request, answers 200 with <c>announced</c> as Content-Length and the given bytes, and closes.</summary>
    private sealed class OneAnswerServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly Task _serving;

        private OneAnswerServer(TcpListener listener, byte[] body, long announced)
        {
            _listener = listener;
            _serving = ServeAsync(body, announced);
        }

        public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public static Task<OneAnswerServer> StartAsync(byte[] body, long announced)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return Task.FromResult(new OneAnswerServer(listener, body, announced));
        }

        private async Task ServeAsync(byte[] body, long announced)
        {
            using var socket = await _listener.AcceptSocketAsync();
            var request = new byte[64 * 1024];
            var read = 0;
            while (!Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\nhi", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(request.AsMemory(read));
                if (n == 0)
                {
                    return;
                }

                read += n;
            }

            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n");
            await socket.SendAsync(head);
            await socket.SendAsync(body);
            socket.Shutdown(SocketShutdown.Both);
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _serving.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        }
    }
}
