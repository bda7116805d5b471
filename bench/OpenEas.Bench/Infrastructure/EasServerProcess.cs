using System.Diagnostics;
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

    private readonly Process _process;
    private readonly DirectoryInfo _dataDir;
    private readonly Queue<string> _lastLines = new();

    private EasServerProcess(Process process, DirectoryInfo dataDir, string adminToken)
    {
        _process = process;
        _dataDir = dataDir;
        AdminToken = adminToken;
    }

    public Uri Endpoint { get; private set; } = null!;

    public string AdminToken { get; }

    public int Pid => _process.Id;

    /// <summary>
    /// Builds the CLI if needed (<c>./eas --help</c>), then starts <c>dotnet .build/eas/eas.dll server</c>
    /// directly, so the launcher's staleness check and its bash are not part of what runs.
    /// </summary>
    public static async Task<EasServerProcess> StartAsync(string repoRoot, CancellationToken ct)
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
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repoRoot,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { dll, "server", "--listen", "127.0.0.1:0", "--data", dataDir.FullName })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["EAS_ADMIN_TOKEN"] = token;
        psi.Environment.Remove("EAS_ENDPOINT");

        var process = Process.Start(psi) ?? throw new BenchException("could not start `dotnet eas.dll server`");
        var server = new EasServerProcess(process, dataDir, token);
        var endpoint = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            server.Remember(line);
            if (ListeningLine().Match(line) is { Success: true } m)
            {
                endpoint.TrySetResult(new Uri(m.Groups[1].Value.TrimEnd('/') + "/"));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                server.Remember(line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var exited = process.WaitForExitAsync(ct);
            var first = await Task.WhenAny(endpoint.Task, exited, Task.Delay(StartTimeout, ct));
            if (first != endpoint.Task)
            {
                ct.ThrowIfCancellationRequested();
                throw new BenchException(process.HasExited
                    ? $"eas server exited with code {process.ExitCode} before listening:\n{server.Tail()}"
                    : $"eas server did not print its listening line within {StartTimeout.TotalSeconds:0} s:\n{server.Tail()}");
            }

            server.Endpoint = await endpoint.Task;
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's last output lines, for error messages.</summary>
    public string Tail()
    {
        lock (_lastLines)
        {
            return string.Join('\n', _lastLines);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                NativeMethods.Terminate(_process.Id);
                using var wait = new CancellationTokenSource(StopTimeout);
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    await Console.Error.WriteLineAsync($"bench: eas server (pid {_process.Id}) did not stop within {StopTimeout.TotalSeconds:0} s of SIGTERM; killing it");
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                _dataDir.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private void Remember(string line)
    {
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }
    }

    [GeneratedRegex(@"OpenEAS server listening on (https?://\S+)")]
    private static partial Regex ListeningLine();
}
