using System.Diagnostics;

namespace OpenEas.Bench.Infrastructure;

/// <summary>
/// A child process the runner owns: its output is kept (last 40 lines) for error messages, and disposing it
/// sends SIGTERM, waits <see cref="StopGrace"/>, and only then kills the whole tree.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private readonly Action<string>? _onLine;

    private ChildProcess(Process process, string name, TimeSpan stopGrace, Action<string>? onLine)
    {
        _process = process;
        Name = name;
        StopGrace = stopGrace;
        _onLine = onLine;
    }

    /// <summary>What the messages call it ("eas server", "nginx", …).</summary>
    public string Name { get; }

    public TimeSpan StopGrace { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/>; <paramref name="onLine"/> sees every stdout/stderr line.</summary>
    public static ChildProcess Start(string name, string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? stopGrace = null, Action<string>? onLine = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new BenchException($"could not start {name} ({file})");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new BenchException($"could not start {name} ({file}): {ex.Message}", ex);
        }

        var child = new ChildProcess(process, name, stopGrace ?? TimeSpan.FromSeconds(5), onLine);
        process.OutputDataReceived += (_, e) => child.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => child.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public Task WaitForExitAsync(CancellationToken ct) => _process.WaitForExitAsync(ct);

    /// <summary>The last output lines, for error messages.</summary>
    public string Tail()
    {
        lock (_lastLines)
        {
            return string.Join('\n', _lastLines);
        }
    }

    /// <summary>SIGTERM, up to <see cref="StopGrace"/> to exit, then SIGKILL to the whole tree.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                NativeMethods.Terminate(_process.Id);
                using var wait = new CancellationTokenSource(StopGrace);
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    await Console.Error.WriteLineAsync($"bench: {Name} (pid {_process.Id}) did not stop within {StopGrace.TotalSeconds:0} s of SIGTERM; killing it");
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }

        _onLine?.Invoke(line);
    }
}
