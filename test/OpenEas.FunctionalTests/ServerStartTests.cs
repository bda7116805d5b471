using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpenEas.FunctionalTests;

public class ServerStartTests
{
    [Fact]
    public async Task A_port_in_use_is_one_line_and_a_non_zero_exit_without_a_stack_trace()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var data = Directory.CreateTempSubdirectory("openeas-port-").FullName;
        try
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "eas.dll"), "server", "--listen", $"127.0.0.1:{port}", "--data", data])
            {
                psi.ArgumentList.Add(arg);
            }

            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                await process.WaitForExitAsync(cts.Token);
            }

            var output = (await stdout + await stderr).Trim();
            Assert.NotEqual(0, process.ExitCode);
            Assert.Equal($"eas: cannot listen on 127.0.0.1:{port}: Failed to bind to address http://127.0.0.1:{port}: address already in use.", output);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
