using System.CommandLine;

namespace OpenEas.Cli.Commands;

/// <summary>What <c>eas server</c> was asked to do.</summary>
internal sealed record ServerCommandOptions(string Listen, string DataDir, IReadOnlyList<string> Deploy, bool KeepInstances = false,
    double JanitorDays = 180, bool Verbose = false, double? CapacityCpu = null, long? CapacityMemoryMb = null,
    string? Queue = null);

/// <summary>
/// <c>eas server</c>: runs the control plane, gateway and console. The server itself is wired in through
/// <see cref="ServerRunner"/> (set at start-up by the composition root), so the CLI verbs build without it.
/// </summary>
internal static class ServerCommand
{
    /// <summary>Runs the server until cancelled and returns the exit code; null when this build has no server role.</summary>
    public static Func<ServerCommandOptions, CancellationToken, Task<int>>? ServerRunner { get; set; } = ServerRole.RunAsync;

    public static void Add(RootCommand root, CliEnv env)
    {
        var listen = new Option<string>("--listen")
        {
            Description = "address to listen on",
            DefaultValueFactory = _ => "127.0.0.1:8080",
            HelpName = "host:port",
        };
        var data = new Option<string>("--data")
        {
            Description = "data directory (state, queues, instances, admin_token) [env EAS_DATA, default ./.eas]",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("EAS_DATA") is { Length: > 0 } d ? d : "./.eas",
            HelpName = "dir",
        };
        var deploy = new Option<string[]>("--deploy")
        {
            Description = "a service spec to create (or update) at start (repeatable)",
            HelpName = "spec.json",
        };
        var keep = new Option<bool>("--keep-instances")
        {
            Description = "leave instances running when the server stops; the next server adopts them",
        };
        var janitor = new Option<double>("--janitor-days")
        {
            Description = "delete services that have not run for this many days",
            DefaultValueFactory = _ => 180,
            HelpName = "days",
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "log the control plane's decisions" };
        var cpu = new Option<double?>("--capacity-cpu") { Description = "cores instances may reserve on this host (default: all)", HelpName = "cores" };
        var memory = new Option<long?>("--capacity-memory") { Description = "memory instances may reserve, MB (default: all)", HelpName = "MB" };
        var queue = new Option<string?>("--queue")
        {
            Description = "where async services' queues live: redis://host:port (Redis Streams); default: SQLite in the data dir",
            HelpName = "url",
        };
        var command = new Command("server", "Run the OpenEAS server (control API, gateway, console) on one port")
        {
            listen, data, deploy, keep, janitor, verbose, cpu, memory, queue,
        };
        command.SetAction(async (parse, invocationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(invocationToken, env.Stopping);
            var ct = linked.Token;
            if (ServerRunner is not { } run)
            {
                await env.Io.Err.WriteLineAsync("eas: server role not available in this build");
                return ExitCodes.Error;
            }

            var options = new ServerCommandOptions(parse.GetValue(listen)!, parse.GetValue(data)!, parse.GetValue(deploy) ?? [],
                parse.GetValue(keep), parse.GetValue(janitor), parse.GetValue(verbose), parse.GetValue(cpu), parse.GetValue(memory),
                parse.GetValue(queue));
            try
            {
                return await run(options, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
        });
        root.Add(command);
    }
}
