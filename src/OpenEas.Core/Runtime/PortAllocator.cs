using System.Net;
using System.Net.Sockets;

namespace OpenEas.Core.Runtime;

/// <summary>Hands out free loopback ports, never the same one twice in a row (the OS may reuse a just-freed port).</summary>
public sealed class PortAllocator
{
    private readonly Lock _lock = new();
    private readonly Queue<int> _recent = new();
    private readonly HashSet<int> _recentSet = [];

    public int Next()
    {
        lock (_lock)
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (_recentSet.Add(port))
                {
                    _recent.Enqueue(port);
                    if (_recent.Count > 256)
                    {
                        _recentSet.Remove(_recent.Dequeue());
                    }

                    return port;
                }
            }

            throw new InvalidOperationException("no free loopback port found");
        }
    }
}
