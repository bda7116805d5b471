using System.Net;
using System.Text.Json.Nodes;
using OpenEas.Cli.Commands;
using OpenEas.Client;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Server;

namespace OpenEas.Cli;

/// <summary><c>eas server</c>: starts the server, deploys the given specs, prints how to call them, runs until stopped.</summary>
internal static class ServerRole
{
    public static async Task<int> RunAsync(ServerCommandOptions options, CancellationToken ct)
    {
        var output = Console.Out;
        EasServer server;
        try
        {
            server = await EasServer.StartAsync(new ServerOptions
            {
                Listen = options.Listen,
                DataDir = options.DataDir,
                KeepInstances = options.KeepInstances,
                JanitorDays = options.JanitorDays,
                CapacityCpu = options.CapacityCpu,
                CapacityMemoryMb = options.CapacityMemoryMb,
                Queue = options.Queue,
                Output = output,
                LogLevel = options.Verbose ? Microsoft.Extensions.Logging.LogLevel.Information : Microsoft.Extensions.Logging.LogLevel.Warning,
            }, ct);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"eas: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"eas: cannot listen on {options.Listen}: {ex.Message}");
            return ExitCodes.Error;
        }

        await using (server)
        {
            await output.WriteLineAsync($"OpenEAS server listening on {server.Endpoint} (data: {Path.GetFullPath(options.DataDir)})");
            await output.WriteLineAsync($"Console: {server.Endpoint}/ (sign in with the admin token)");
            if (server.AdminTokenGenerated)
            {
                await output.WriteLineAsync($"Admin token (generated, saved in {Path.Combine(options.DataDir, "admin_token")}): {server.AdminToken}");
            }

            var listen = EasServer.ParseListen(options.Listen);
            if (!IPAddress.IsLoopback(listen.Address))
            {
                await Console.Error.WriteLineAsync(
                    $"eas: warning: listening on {listen.Address} without TLS; tokens cross the network in clear text. Put a TLS proxy in front.");
            }

            var ok = true;
            foreach (var file in options.Deploy)
            {
                ok &= await DeployAsync(server, file, output, ct);
            }

            if (options.Deploy.Count > 0)
            {
                await output.WriteLineAsync(ok ? "Ready. Press Ctrl-C to stop." : "Some services did not start; see above. Press Ctrl-C to stop.");
            }

            try
            {
                await server.WaitForShutdownAsync(ct);
            }
            catch (OperationCanceledException)
            {
            }

            await output.WriteLineAsync("Stopping…");
        }

        return ExitCodes.Success;
    }

    /// <summary>Creates the service of a spec file, or updates it when it exists, then waits for it to run.</summary>
    private static async Task<bool> DeployAsync(EasServer server, string file, TextWriter output, CancellationToken ct)
    {
        var services = (ServiceManager)server.Services.GetService(typeof(ServiceManager))!;
        string json;
        try
        {
            json = SpecFiles.ResolveLocalPaths(await File.ReadAllTextAsync(file, ct), Path.GetDirectoryName(Path.GetFullPath(file))!);
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"eas: cannot read {file}: {ex.Message}");
            return false;
        }

        string name;
        try
        {
            var existing = JsonNode.Parse(json)?["name"]?.GetValue<string>() ?? JsonNode.Parse(json)?["metadata"]?["name"]?.GetValue<string>();
            if (existing is not null && services.List().Any(s => s.ServiceName == existing))
            {
                var change = services.Modify(existing, json);
                name = existing;
                await output.WriteLineAsync($"Service {name}: {(change.Change == "unchanged" ? "already deployed" : change.Change)}");
            }
            else
            {
                name = services.Create(json).ServiceName;
                await output.WriteLineAsync($"Service {name}: created from {file}");
            }
        }
        catch (ControlException ex)
        {
            await Console.Error.WriteLineAsync($"eas: {file}: {ex.Message}");
            foreach (var error in ex.Errors)
            {
                await Console.Error.WriteLineAsync($"  {error}");
            }

            return false;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"eas: {file}: {ex.Message}");
            return false;
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        ServiceDescription d;
        while (true)
        {
            d = services.Describe(name);
            if (d.Status is ServiceStates.Running or ServiceStates.Failed || DateTime.UtcNow > deadline || ct.IsCancellationRequested)
            {
                break;
            }

            await Task.Delay(100, ct);
        }

        if (d.Status != ServiceStates.Running)
        {
            await Console.Error.WriteLineAsync($"eas: service {name} is {d.Status}: {d.Reason} (see 'eas events {name}' and 'eas logs {name}')");
            return false;
        }

        var url = $"{server.Endpoint}/api/predict/{name}";
        await output.WriteLineAsync($"""
              Service {name} is Running ({d.RunningInstance}/{d.TotalInstance} instances, version {d.CurrentVersion})
                endpoint: {url}
                token:    {d.AccessToken}
                try:      curl -H 'Authorization: {d.AccessToken}' -d 'hello eas' {url}
            """);
        return true;
    }
}
