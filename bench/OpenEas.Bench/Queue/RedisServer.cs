using System.Globalization;
using System.Text.RegularExpressions;
using OpenEas.Bench.Infrastructure;

namespace OpenEas.Bench.Queue;

/// <summary>
/// A redis-server child on 127.0.0.1 and a free port, with its files in a directory of the run's temp dir, durable like
/// the queue: append-only file fsynced on every write (<c>appendfsync always</c>), no RDB snapshots, and no AOF rewrite
/// (a rewrite in the background would take CPU and disk from whichever target runs then). Stopped when disposed.
/// </summary>
internal sealed partial class RedisServer : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private RedisServer(ChildProcess process, int port, string version)
    {
        _process = process;
        Port = port;
        Version = version;
    }

    public int Port { get; }

    public int Pid => _process.Pid;

    /// <summary>What <c>eas server --queue</c> is given.</summary>
    public string Url => $"redis://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>e.g. "7.0.15", from <c>redis-server --version</c>.</summary>
    public string Version { get; }

    public static async Task<RedisServer> StartAsync(string workDir, CancellationToken ct)
    {
        var dir = Directory.CreateDirectory(Path.Combine(workDir, "redis"));
        var version = RepoPaths.Run(dir.FullName, "redis-server", "--version") is { } v && VersionText().Match(v) is { Success: true } m
            ? m.Groups[1].Value
            : throw new BenchException("redis-server is missing: bench/queue/run.sh installs it (scripts/deps.sh)");
        var port = Ports.Free();
        var process = ChildProcess.Start("redis-server", "redis-server",
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", dir.FullName, "--daemonize", "no",
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--auto-aof-rewrite-percentage", "0",
        ]);
        try
        {
            await Ports.WaitListeningAsync(port, TimeSpan.FromSeconds(30), process.Tail, ct);
            return new RedisServer(process, port, version);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>One <c>redis-cli</c> command against this server; its stdout, or null when it failed.</summary>
    public string? Cli(params string[] command) =>
        RepoPaths.Run(Environment.CurrentDirectory, "redis-cli", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), .. command]);

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex(@"v=(\d+\.\d+\.\d+)")]
    private static partial Regex VersionText();
}
