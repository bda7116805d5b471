using System.Diagnostics;
using System.Net.Sockets;
using OpenEas.Core.Specs;

namespace OpenEas.Core.Runtime;

/// <summary>Runs one startup, readiness or liveness check against a local instance.</summary>
public sealed class ProbeRunner : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The probe used when a spec names none: a TCP connect to the instance's port.</summary>
    public static readonly ProbeSpec DefaultReadiness = new() { Kind = ProbeKind.Tcp, PeriodSeconds = 5, TimeoutSeconds = 1, FailureThreshold = 3 };

    /// <returns>null when the check passed, else why it failed.</returns>
    public async Task<string?> CheckAsync(ProbeSpec probe, int instancePort, string workingDirectory, CancellationToken ct)
    {
        var port = probe.Port > 0 ? probe.Port : instancePort;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(Math.Max(0.05, probe.TimeoutSeconds)));
        try
        {
            switch (probe.Kind)
            {
                case ProbeKind.Tcp:
                    using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                    {
                        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, cts.Token).ConfigureAwait(false);
                    }

                    return null;

                case ProbeKind.Http:
                    var path = probe.Path.StartsWith('/') ? probe.Path : "/" + probe.Path;
                    using (var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"), HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false))
                    {
                        var code = (int)response.StatusCode;
                        return code is >= 200 and < 400 ? null : $"HTTP probe GET {path} answered {code}";
                    }

                case ProbeKind.Exec:
                    return await ExecAsync(probe, instancePort, workingDirectory, cts.Token).ConfigureAwait(false);

                default:
                    return $"unknown probe kind {probe.Kind}";
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"{Describe(probe, port)} timed out after {probe.TimeoutSeconds}s";
        }
        catch (SocketException ex)
        {
            return $"{Describe(probe, port)}: {ex.SocketErrorCode}";
        }
        catch (HttpRequestException ex)
        {
            return $"{Describe(probe, port)}: {ex.Message}";
        }
    }

    private static string Describe(ProbeSpec probe, int port) => probe.Kind switch
    {
        ProbeKind.Tcp => $"TCP probe on port {port}",
        ProbeKind.Http => $"HTTP probe GET {probe.Path} on port {port}",
        _ => $"exec probe '{string.Join(' ', probe.Command)}'",
    };

    private static async Task<string?> ExecAsync(ProbeSpec probe, int port, string dir, CancellationToken ct)
    {
        if (probe.Command.Count == 0)
        {
            return "exec probe has no command";
        }

        var psi = new ProcessStartInfo(probe.Command[0])
        {
            UseShellExecute = false,
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in probe.Command.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(psi)!;
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return process.ExitCode == 0 ? null : $"exec probe exited with code {process.ExitCode}";
    }

    public void Dispose() => _http.Dispose();
}
