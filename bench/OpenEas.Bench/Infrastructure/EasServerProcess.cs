using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace OpenEas.Bench.Infrastructure;

/// <summary>
/// One <c>eas server</c> child on 127.0.0.1:0 with a throw-away data directory. Disposing it sends
/// SIGTERM (the server then stops its instances), waits up to 20 s, and only then kills it.
/// </summary>
internal sealed partial class EasServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly ChildProcess _process;
    private readonly DirectoryInfo _dataDir;

    private EasServerProcess(ChildProcess process, DirectoryInfo dataDir, string adminToken, Uri endpoint)
    {
        _process = process;
        _dataDir = dataDir;
        AdminToken = adminToken;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public string AdminToken { get; }

    public int Pid => _process.Pid;

    /// <summary>The server's data directory (a temporary one, deleted with it).</summary>
    public string DataDir => _dataDir.FullName;

    /// <summary>
    /// Builds the CLI if needed (<c>./eas --help</c>), then starts <c>dotnet .build/eas/eas.dll server</c>
    /// directly, so the launcher's staleness check and its bash are not part of what runs.
    /// </summary>
    public static async Task<EasServerProcess> StartAsync(string repoRoot, CancellationToken ct, params string[] extraArgs)
    {
        var launcher = Path.Combine(repoRoot, "eas");
        if (RepoPaths.Run(repoRoot, launcher, "--help") is null)
        {
            throw new BenchException($"`{launcher} --help` failed: the eas CLI does not build; run it by hand to see why");
        }

        var dll = Path.Combine(repoRoot, ".build", "eas", "eas.dll");
        if (!File.Exists(dll))
        {
            throw new BenchException($"{dll} is missing after `./eas --help`");
        }

        var dataDir = Directory.CreateTempSubdirectory("openeas-bench-");
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var endpoint = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        ChildProcess process;
        try
        {
            process = ChildProcess.Start("eas server", "dotnet", [dll, "server", "--listen", "127.0.0.1:0", "--data", dataDir.FullName, .. extraArgs],
                repoRoot, new Dictionary<string, string?> { ["EAS_ADMIN_TOKEN"] = token, ["EAS_ENDPOINT"] = null }, StopTimeout,
                line =>
                {
                    if (ListeningLine().Match(line) is { Success: true } m)
                    {
                        endpoint.TrySetResult(new Uri(m.Groups[1].Value.TrimEnd('/') + "/"));
                    }
                });
        }
        catch
        {
            TempDir.DeleteQuietly(dataDir);
            throw;
        }

        try
        {
            var exited = process.WaitForExitAsync(ct);
            var first = await Task.WhenAny(endpoint.Task, exited, Task.Delay(StartTimeout, ct));
            if (first != endpoint.Task)
            {
                ct.ThrowIfCancellationRequested();
                throw new BenchException(process.HasExited
                    ? $"eas server exited with code {process.ExitCode} before listening:\n{process.Tail()}"
                    : $"eas server did not print its listening line within {StartTimeout.TotalSeconds:0} s:\n{process.Tail()}");
            }

            return new EasServerProcess(process, dataDir, token, await endpoint.Task);
        }
        catch
        {
            await process.DisposeAsync();
            TempDir.DeleteQuietly(dataDir);
            throw;
        }
    }

    /// <summary>The server's last output lines, for error messages.</summary>
    public string Tail() => _process.Tail();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            TempDir.DeleteQuietly(_dataDir);
        }
    }

    [GeneratedRegex(@"OpenEAS server listening on (https?://\S+)")]
    private static partial Regex ListeningLine();
}
