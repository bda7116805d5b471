using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>
/// A real redis-server (from apt, see scripts/deps.sh) on 127.0.0.1 with a temp dir and the durable setting
/// (AOF, <c>appendfsync always</c>); stopped and its dir deleted on dispose.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private Process? _process;
    private string _dir = "";

    public string Url { get; private set; } = "";

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        _dir = Path.Combine(Path.GetTempPath(), "openeas-redis-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
        Port = FreePort();
        var psi = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _dir,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
        })
        {
            psi.ArgumentList.Add(arg);
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start (run scripts/deps.sh)");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Url = $"redis://127.0.0.1:{Port}";
        await Poll.UntilAsync(() => Task.FromResult(Answers(Port)), ok => ok, TimeSpan.FromSeconds(30), "redis-server to answer");
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool Answers(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            return stream.Read(buffer) > 0 && buffer[0] == (byte)'+';
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
