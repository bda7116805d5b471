using System.Net;
using System.Net.Sockets;

namespace OpenEas.Bench.Infrastructure;

/// <summary>Free TCP ports on 127.0.0.1.</summary>
internal static class Ports
{
    /// <summary>A port the kernel just handed out and released (another program could take it first; rare enough here).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls a TCP connect to 127.0.0.1:<paramref name="port"/> until it succeeds or <paramref name="limit"/> passes.</summary>
    public static async Task WaitListeningAsync(int port, TimeSpan limit, Func<string> whatFailed, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, ct);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct);
            }
            catch (SocketException ex)
            {
                throw new BenchException($"nothing listens on 127.0.0.1:{port} after {limit.TotalSeconds:0} s: {whatFailed()}", ex);
            }
        }
    }
}
