using System.CommandLine;
using OpenEas.Cli.Output;

namespace OpenEas.Cli.Commands;

/// <summary><c>w</c> (list instances) and <c>dw</c> (delete, and so restart, instances).</summary>
internal static class InstanceCommands
{
    public static void Add(RootCommand root, CliEnv env)
    {
        root.Add(List(env));
        root.Add(Restart(env));
    }

    private static Command List(CliEnv env)
    {
        var service = CommonOptions.Service();
        var json = CommonOptions.Json();
        var command = new Command("w", "List a service's instances") { service, json };
        command.Aliases.Add("instances");
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var instances = await ctx.Client.ListInstancesAsync(ctx.Service, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, instances, JsonOutput.Context.ListInstanceInfo);
                return ExitCodes.Success;
            }

            WriteTable(ctx, instances);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The instance table of <c>eas w</c> and <c>eas resource li</c>.</summary>
    internal static void WriteTable(CliContext ctx, IEnumerable<Contracts.InstanceInfo> instances) =>
        Tables.Write(ctx.Console,
            ["INSTANCE", "VERSION", "IP:PORT", "GROUP", "STARTED", "RESTARTS", "STATUS", "READY", "REASON", "LASTSTATE"],
            instances.Select(i => (IReadOnlyList<string>)
            [
                i.InstanceName, i.Version.ToString(), i.Port > 0 ? $"{i.HostIp}:{i.Port}" : "-", Group(i), Format.Time(i.StartTime),
                i.RestartCount.ToString(), i.Status, i.Ready ? "1/1" : "0/1", string.IsNullOrEmpty(i.Reason) ? "-" : i.Reason,
                Format.LastState(i.LastState),
            ]));

    /// <summary>The group, marked when spot, overflowing, or under a preemption notice.</summary>
    private static string Group(Contracts.InstanceInfo i)
    {
        if (string.IsNullOrEmpty(i.ResourceGroup))
        {
            return "-";
        }

        var marks = new List<string>();
        if (i.Spot)
        {
            marks.Add("spot");
        }

        if (i.Overflow)
        {
            marks.Add("overflow");
        }

        if (i.PreemptAt is { } at)
        {
            marks.Add($"preempted at {Format.Time(at)}");
        }

        return marks.Count == 0 ? i.ResourceGroup : $"{i.ResourceGroup} ({string.Join(", ", marks)})";
    }

    private static Command Restart(CliEnv env)
    {
        var service = CommonOptions.Service();
        var names = new Argument<string[]>("instances")
        {
            Description = "instance names, comma-separated (see 'eas w')",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("dw", "Delete (and so restart) instances of a service") { service, names };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var list = (parse.GetValue(names) ?? [])
                .SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Distinct(StringComparer.Ordinal)
                .ToList();
            if (list.Count == 0)
            {
                throw new CliException(ExitCodes.Usage, "no instance names given");
            }

            await ctx.Client.RestartInstancesAsync(ctx.Service, list, ct);
            ctx.Out.WriteLine($"Restarting {string.Join(", ", list)} of {ctx.Service}.");
            return ExitCodes.Success;
        });
        return command;
    }
}
