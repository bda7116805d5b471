using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>An <c>eas server</c> running as its own process (so it can be killed with SIGKILL like a crash).</summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _endpoint = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _endpoint.TrySetException(new InvalidOperationException("the server exited:\n" + Output));
    }

    public string Endpoint => _endpoint.Task.Result;

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(string dataDir, string adminToken, params string[] extraArgs)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "eas.dll"));
        psi.ArgumentList.Add("server");
        psi.ArgumentList.Add("--listen");
        psi.ArgumentList.Add("127.0.0.1:0");
        psi.ArgumentList.Add("--data");
        psi.ArgumentList.Add(dataDir);
        foreach (var arg in extraArgs)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["EAS_ADMIN_TOKEN"] = adminToken;
        var server = new ServerProcess(Process.Start(psi)!);
        var ready = await Task.WhenAny(server._endpoint.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        if (ready != server._endpoint.Task)
        {
            server._process.Kill(entireProcessTree: true);
            throw new TimeoutException("the server did not start within 60 s:\n" + server.Output);
        }

        await server._endpoint.Task;
        return server;
    }

    /// <summary>SIGKILL: the server gets no chance to clean up, as in a crash.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as a service manager stops it; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await TerminateAsync(TimeSpan.FromSeconds(20));
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _endpoint.TrySetResult(match.Groups[1].Value);
        }
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();
}
