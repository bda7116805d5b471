using System.CommandLine;
using System.CommandLine.Invocation;
using OpenEas.Cli.Commands;

namespace OpenEas.Cli;

/// <summary>The <c>eas</c> command line: builds the verbs and runs one invocation.</summary>
internal static class CliApp
{
    /// <summary>Runs <c>eas</c> with the given arguments and streams; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin) =>
        RunAsync(args, stdout, stderr, stdin, CancellationToken.None);

    /// <inheritdoc cref="RunAsync(string[], TextWriter, TextWriter, TextReader)"/>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin, CancellationToken ct)
    {
        var terminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var env = new CliEnv(new CliIo(stdout, stderr, stdin, terminal), new GlobalOptions(), TimeProvider.System, ct);
        try
        {
            var root = BuildRoot(env);
            var parse = root.Parse(ModifyCommand.UnglueDefines(args));
            if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
            {
                var verb = parse.CommandResult.Command is RootCommand ? "eas" : "eas " + parse.CommandResult.Command.Name;
                stderr.WriteLine($"eas: {string.Join("; ", parse.Errors.Select(e => e.Message))} (see '{verb} --help')");
                return ExitCodes.Usage;
            }

            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                // Ctrl-C is wired by Program (so in-process runs never touch the process's signal handlers).
                ProcessTerminationTimeout = null,
            }, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            var (code, lines) = ErrorReport.Describe(ex, GlobalOptions.DefaultEndpoint, null);
            foreach (var line in lines)
            {
                stderr.WriteLine(line);
            }

            return code;
        }
        finally
        {
            await stdout.FlushAsync(CancellationToken.None);
            await stderr.FlushAsync(CancellationToken.None);
        }
    }

    internal static RootCommand BuildRoot(CliEnv env)
    {
        var root = new RootCommand("eas: the OpenEAS command line (EASCMD verbs) and server.");
        root.Add(env.Globals.Endpoint);
        root.Add(env.Globals.AdminToken);
        ServiceCommands.Add(root, env);
        ModifyCommand.Add(root, env);
        AutoscaleCommand.Add(root, env);
        CronscaleCommand.Add(root, env);
        InstanceCommands.Add(root, env);
        LogsCommands.Add(root, env);
        MonitorCommands.Add(root, env);
        PredictCommand.Add(root, env);
        BenchCommand.Add(root, env);
        JobCommands.Add(root, env);
        TokenCommand.Add(root, env);
        AlertCommands.Add(root, env);
        ResourceCommands.Add(root, env);
        ReleaseCommands.Add(root, env);
        ServerCommand.Add(root, env);
        ProcessorCommand.Add(root, env);
        return root;
    }
}

/// <summary>What every verb is built with: the streams, the global options and the clock.</summary>
internal sealed class CliEnv(CliIo io, GlobalOptions globals, TimeProvider time, CancellationToken stopping)
{
    public CliIo Io { get; } = io;

    public GlobalOptions Globals { get; } = globals;

    public TimeProvider Time { get; } = time;

    /// <summary>Cancelled on Ctrl-C (System.CommandLine does not hand its caller's token to actions).</summary>
    public CancellationToken Stopping { get; } = stopping;

    /// <summary>
    /// Sets a verb's action: opens a <see cref="CliContext"/>, runs <paramref name="run"/>, and reports any failure
    /// as one readable line on stderr with its exit code.
    /// </summary>
    public void SetAction(Command command, Func<CliContext, ParseResult, CancellationToken, Task<int>> run)
    {
        command.SetAction(async (parse, invocationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(invocationToken, Stopping);
            var ct = linked.Token;
            using var ctx = new CliContext(Io, parse.GetValue(Globals.Endpoint) ?? GlobalOptions.DefaultEndpoint,
                CliContext.ResolveAdminToken(parse.GetValue(Globals.AdminToken)), Time);
            try
            {
                return await run(ctx, parse, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Cancelled;
            }
            catch (Exception ex)
            {
                var (code, lines) = ErrorReport.Describe(ex, ctx.DisplayEndpoint, ctx.Service);
                foreach (var line in lines)
                {
                    Io.Err.WriteLine(line);
                }

                if (Environment.GetEnvironmentVariable("EAS_DEBUG") is "1" or "true")
                {
                    Io.Err.WriteLine(ex.ToString());
                }

                return code;
            }
        });
    }
}
