using System.CommandLine;

namespace OpenEas.Cli.Commands;

/// <summary><c>modify &lt;svc&gt; [-s partial.json] [-D key=value]...</c>: merge a partial spec; a change of only the instance count scales.</summary>
internal static class ModifyCommand
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var service = CommonOptions.Service();
        var spec = new Option<string?>("--spec", "-s") { Description = "partial (or whole) spec to merge (JSON file, or - for stdin)", HelpName = "file" };
        var defines = new Option<string[]>("-D")
        {
            Description = "set one spec field, EASCMD style: -Dmetadata.instance=3 or -D metadata.instance=3 (repeatable)",
            HelpName = "key=value",
            AllowMultipleArgumentsPerToken = false,
        };
        var json = CommonOptions.Json();
        var wait = CommonOptions.Wait();
        var timeout = CommonOptions.Timeout();
        var command = new Command("modify", "Change a service: merge -s/-D into its spec (new version; instance count alone only scales)")
        {
            service, spec, defines, json, wait, timeout,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var patch = SpecPatch.FromAssignments(parse.GetValue(defines) ?? []);
            if (parse.GetValue(spec) is { } file)
            {
                var text = await CommonOptions.ReadSpecAsync(ctx, file, ct);
                patch = SpecPatch.Merge(SpecPatch.ParseObject(text, file), patch);
            }
            else if (patch.Count == 0)
            {
                throw new CliException(ExitCodes.Usage, "nothing to change: give -s partial.json and/or -D key=value");
            }

            var result = await ctx.Client.ModifyServiceAsync(ctx.Service, patch.ToJsonString(), ct);
            return await ChangeOutput.WriteAsync(ctx, result, parse.GetValue(json), parse.GetValue(wait), parse.GetValue(timeout), ct);
        });
        root.Add(command);
    }

    /// <summary>
    /// Splits EASCMD's glued <c>-Dkey=value</c> into <c>-D key=value</c> for the parser. Only tokens after a
    /// <c>modify</c> verb are touched, so a predict body that happens to start with -D is left alone.
    /// </summary>
    public static string[] UnglueDefines(string[] args)
    {
        var verb = Array.IndexOf(args, "modify");
        if (verb < 0)
        {
            verb = Array.IndexOf(args, "autoscale");
        }

        if (verb < 0)
        {
            return args;
        }

        var result = new List<string>(args.Length + 4);
        var endOfOptions = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            endOfOptions |= i > verb && arg == "--";
            if (i > verb && !endOfOptions && arg.Length > 2 && arg.StartsWith("-D", StringComparison.Ordinal))
            {
                result.Add("-D");
                result.Add(arg[2..]);
            }
            else
            {
                result.Add(arg);
            }
        }

        return [.. result];
    }
}
