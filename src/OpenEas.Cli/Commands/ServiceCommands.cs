using System.CommandLine;
using OpenEas.Cli.Output;
using OpenEas.Contracts;

namespace OpenEas.Cli.Commands;

/// <summary>create, desc, ls, start, stop, delete, scale, version, versions.</summary>
internal static class ServiceCommands
{
    public static void Add(RootCommand root, CliEnv env)
    {
        root.Add(Create(env));
        root.Add(Desc(env));
        root.Add(List(env));
        root.Add(StartStop(env, "start"));
        root.Add(StartStop(env, "stop"));
        root.Add(Delete(env));
        root.Add(Scale(env));
        root.Add(Version(env));
        root.Add(Versions(env));
    }

    private static Command Create(CliEnv env)
    {
        var spec = new Argument<string>("spec.json") { Description = "EAS service spec (JSON file, or - for stdin)" };
        var json = CommonOptions.Json();
        var wait = CommonOptions.Wait();
        var timeout = CommonOptions.Timeout();
        var command = new Command("create", "Create a service from an EAS JSON spec") { spec, json, wait, timeout };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var text = await CommonOptions.ReadSpecAsync(ctx, parse.GetValue(spec)!, ct);
            var created = await ctx.Client.CreateServiceAsync(text, ct);
            ctx.Service = created.ServiceName;
            ctx.WriteWarnings(created);
            var asJson = parse.GetValue(json);
            if (!asJson)
            {
                Tables.WriteKeyValues(ctx.Console,
                [
                    ("ServiceName", created.ServiceName),
                    ("Status", created.Status),
                    ("IntranetEndpoint", created.IntranetEndpoint),
                    ("AccessToken", created.AccessToken),
                ]);
            }

            if (!parse.GetValue(wait))
            {
                if (asJson)
                {
                    JsonOutput.Write(ctx.Out, created, JsonOutput.Context.ServiceDescription);
                }

                return ExitCodes.Success;
            }

            var final = await ChangeOutput.WaitAsync(ctx, created.ServiceName, null, asJson, parse.GetValue(timeout), ct);
            if (asJson)
            {
                JsonOutput.Write(ctx.Out, final, JsonOutput.Context.ServiceDescription);
            }

            return final.Status == ServiceStates.Failed ? ExitCodes.Error : ExitCodes.Success;
        });
        return command;
    }

    private static Command Desc(CliEnv env)
    {
        var service = CommonOptions.Service();
        var json = CommonOptions.Json();
        var command = new Command("desc", "Describe a service (EAS field names)") { service, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service);
            var d = await ctx.Client.DescribeServiceAsync(ctx.Service!, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, d, JsonOutput.Context.ServiceDescription);
                return ExitCodes.Success;
            }

            Tables.WriteKeyValues(ctx.Console, DescriptionRows(d));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static IEnumerable<(string, string)> DescriptionRows(ServiceDescription d)
    {
        yield return ("ServiceName", d.ServiceName);
        yield return ("Status", d.Status);
        yield return ("Reason", d.Reason);
        yield return ("Message", d.Message);
        yield return ("RunningInstance", d.RunningInstance.ToString());
        yield return ("PendingInstance", d.PendingInstance.ToString());
        yield return ("TotalInstance", d.TotalInstance.ToString());
        yield return ("DesiredInstance", d.DesiredInstance.ToString());
        yield return ("CurrentVersion", d.CurrentVersion.ToString());
        yield return ("LatestVersion", d.LatestVersion.ToString());
        yield return ("AccessToken", d.AccessToken);
        yield return ("IntranetEndpoint", d.IntranetEndpoint);
        yield return ("InternetEndpoint", d.InternetEndpoint);
        yield return ("Resource", d.Resource);
        yield return ("ServiceGroup", d.ServiceGroup);
        yield return ("Weight", d.Weight.ToString());
        yield return ("CreateTime", Format.Time(d.CreateTime));
        yield return ("UpdateTime", Format.Time(d.UpdateTime));
        if (d.Scaling is { } scaling)
        {
            yield return ("Autoscaler", scaling.Min is null ? "off" : $"min {scaling.Min}, max {scaling.Max}, {string.Join(", ", scaling.Targets)} (from the {scaling.Source})");
            yield return ("Scheduled", !scaling.Scheduled ? "no"
                : scaling.ScheduledJobs.Count == 0 ? "yes (eas cronscale)"
                : string.Join("; ", scaling.ScheduledJobs) + (scaling.NextScheduled is { } next ? $"; next: {next}" : ""));
            foreach (var e in scaling.Recent)
            {
                yield return ("ScalingDecision", $"{e.Time.ToLocalTime():yyyy-MM-dd HH:mm:ss} {e.Message}");
            }
        }

        if (d.Release is { } release)
        {
            yield return ("Release", ReleaseCommands.Line(release));
        }

        if (d.Mirror is { Ratio: > 0 } mirror)
        {
            yield return ("Mirror", $"{mirror.Ratio}% of calls copied to {string.Join(", ", mirror.Target)}");
        }

        yield return ("ServiceConfig", d.ServiceConfig?.ToJsonString() ?? "");
        foreach (var warning in d.Warnings ?? [])
        {
            yield return ("Warning", warning.ToString());
        }
    }

    private static Command List(CliEnv env)
    {
        var json = CommonOptions.Json();
        var command = new Command("ls", "List services") { json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var services = await ctx.Client.ListServicesAsync(ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, services, JsonOutput.Context.ListServiceDescription);
                return ExitCodes.Success;
            }

            Tables.Write(ctx.Console,
                ["SERVICENAME", "INSTANCE", "CREATETIME", "UPDATETIME", "STATUS", "WEIGHT", "SERVICEPATH"],
                services.Select(s => (IReadOnlyList<string>)
                [
                    s.ServiceName, $"{s.RunningInstance}/{s.TotalInstance}", Format.Time(s.CreateTime), Format.Time(s.UpdateTime),
                    s.Status, s.Weight.ToString(), Format.ServicePath(s.ServiceName),
                ]));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command StartStop(CliEnv env, string verb)
    {
        var service = CommonOptions.Service();
        var json = CommonOptions.Json();
        var command = new Command(verb, verb == "start" ? "Start a stopped service" : "Stop a service (keeps its spec and versions)")
        {
            service, json,
        };
        Option<bool>? wait = null;
        var timeout = CommonOptions.Timeout();
        if (verb == "start")
        {
            wait = CommonOptions.Wait();
            command.Add(wait);
            command.Add(timeout);
        }

        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var result = verb == "start"
                ? await ctx.Client.StartServiceAsync(ctx.Service, ct)
                : await ctx.Client.StopServiceAsync(ctx.Service, ct);
            return await ChangeOutput.WriteAsync(ctx, result, parse.GetValue(json), wait is not null && parse.GetValue(wait),
                parse.GetValue(timeout), ct);
        });
        return command;
    }

    private static Command Delete(CliEnv env)
    {
        var service = CommonOptions.Service();
        var yes = new Option<bool>("--yes", "-y") { Description = "do not ask for confirmation" };
        var command = new Command("delete", "Delete a service (asks first unless --yes)") { service, yes };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            if (!parse.GetValue(yes))
            {
                ctx.Out.Write($"Delete service {ctx.Service}? [Y/n] ");
                ctx.Out.Flush();
                var answer = await ctx.Io.In.ReadLineAsync(ct);
                if (answer is null)
                {
                    ctx.Out.WriteLine();
                    throw new CliException(ExitCodes.Error, "no answer on stdin; pass --yes to delete without asking");
                }

                if (answer.Trim() is not ("" or "y" or "Y" or "yes" or "Yes" or "YES"))
                {
                    ctx.Out.WriteLine("Not deleted.");
                    return ExitCodes.Success;
                }
            }

            await ctx.Client.DeleteServiceAsync(ctx.Service, ct);
            ctx.Out.WriteLine($"Service {ctx.Service} deleted.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Scale(CliEnv env)
    {
        var service = CommonOptions.Service();
        var count = new Argument<int>("instances") { Description = "the instance count to run" };
        var json = CommonOptions.Json();
        var wait = CommonOptions.Wait();
        var timeout = CommonOptions.Timeout();
        var command = new Command("scale", "Set a service's instance count (no new version)") { service, count, json, wait, timeout };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            // Checked here, not by a validator: a validator would hide the parser's own "not a number" error.
            var instances = parse.GetValue(count);
            if (instances < 0)
            {
                throw new CliException(ExitCodes.Usage, "instances must be 0 or more");
            }

            var result = await ctx.Client.ScaleServiceAsync(ctx.Service, instances, ct);
            return await ChangeOutput.WriteAsync(ctx, result, parse.GetValue(json), parse.GetValue(wait), parse.GetValue(timeout), ct);
        });
        return command;
    }

    private static Command Version(CliEnv env)
    {
        var service = CommonOptions.Service();
        var version = new Argument<int>("version") { Description = "the version to roll to (see 'eas versions')" };
        var json = CommonOptions.Json();
        var wait = CommonOptions.Wait();
        var timeout = CommonOptions.Timeout();
        var command = new Command("version", "Roll a service to one of its versions (rollback or roll forward)")
        {
            service, version, json, wait, timeout,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var result = await ctx.Client.SwitchVersionAsync(ctx.Service, parse.GetValue(version), ct);
            return await ChangeOutput.WriteAsync(ctx, result, parse.GetValue(json), parse.GetValue(wait), parse.GetValue(timeout), ct);
        });
        return command;
    }

    private static Command Versions(CliEnv env)
    {
        var service = CommonOptions.Service();
        var json = CommonOptions.Json();
        var command = new Command("versions", "List a service's versions") { service, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var versions = await ctx.Client.ListVersionsAsync(ctx.Service, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, versions, JsonOutput.Context.ListServiceVersionInfo);
                return ExitCodes.Success;
            }

            Tables.Write(ctx.Console, ["VERSION", "CURRENT", "CREATETIME"],
                versions.Select(v => (IReadOnlyList<string>)[v.Version.ToString(), v.Current ? "*" : "", Format.Time(v.CreateTime)]));
            return ExitCodes.Success;
        });
        return command;
    }
}
