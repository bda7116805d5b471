using System.CommandLine;
using OpenEas.Cli.Output;

namespace OpenEas.Cli.Commands;

/// <summary><c>events</c> (the service's event log) and <c>logs</c> (its instances' output).</summary>
internal static class LogsCommands
{
    public static void Add(RootCommand root, CliEnv env)
    {
        root.Add(Events(env));
        root.Add(Logs(env));
    }

    private static Command Events(CliEnv env)
    {
        var service = CommonOptions.Service();
        var limit = new Option<int?>("--limit") { Description = "show at most this many (the newest)", HelpName = "n" };
        var json = CommonOptions.Json();
        var command = new Command("events", "Show a service's events") { service, limit, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var events = await ctx.Client.ListEventsAsync(ctx.Service, parse.GetValue(limit), ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, events, JsonOutput.Context.ListServiceEvent);
                return ExitCodes.Success;
            }

            Tables.Write(ctx.Console, ["TIME", "TYPE", "REASON", "MESSAGE"],
                events.Select(e => (IReadOnlyList<string>)
                [
                    Format.Time(e.Time), e.Type, e.Reason, e.Instance is { Length: > 0 } i ? $"[{i}] {e.Message}" : e.Message,
                ]));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Logs(CliEnv env)
    {
        var service = CommonOptions.Service();
        var instance = new Option<string?>("--instance", "-i") { Description = "one instance (default: all of them)", HelpName = "name" };
        var tail = new Option<int?>("--tail") { Description = "the last N lines (default 200, or 50 with --follow)", HelpName = "n" };
        var follow = new Option<bool>("--follow", "-f") { Description = "keep printing new lines until Ctrl-C" };
        var command = new Command("logs", "Print the log lines of a service's instances") { service, instance, tail, follow };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var who = parse.GetValue(instance);
            if (!parse.GetValue(follow))
            {
                var text = await ctx.Client.GetLogsAsync(ctx.Service, who, parse.GetValue(tail) ?? 200, ct);
                ctx.Out.Write(text);
                if (text.Length > 0 && !text.EndsWith('\n'))
                {
                    ctx.Out.WriteLine();
                }

                return ExitCodes.Success;
            }

            await foreach (var line in ctx.Client.FollowLogsAsync(ctx.Service, who, parse.GetValue(tail) ?? 50, ct))
            {
                ctx.Out.WriteLine(line);
                ctx.Out.Flush();
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
