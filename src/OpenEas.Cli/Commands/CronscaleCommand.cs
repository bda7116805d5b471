using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using OpenEas.Cli.Output;

namespace OpenEas.Cli.Commands;

/// <summary>
/// <c>cronscale &lt;svc&gt; [-s cron.json | -Dschedules=… -Dtarget_size=…] [--off]</c>: shows or sets scheduled scaling
/// (EAS's ScaleJobs JSON, or EASCMD's -D fields).
/// </summary>
internal static class CronscaleCommand
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var service = CommonOptions.Service();
        var spec = new Option<string?>("--spec", "-s")
        {
            Description = "the schedule as EAS JSON: {\"ScaleJobs\":[{\"Name\",\"Schedule\":\"0 0 18 * * *\",\"TargetSize\":2,\"TimeZone\"}],\"ExcludeDates\":[...]}",
            HelpName = "file",
        };
        var defines = new Option<string[]>("-D")
        {
            Description = "the schedule as fields: -Dschedules=\"0 0 8 * * *;0 0 20 * * *\" -Dtarget_size=\"4;1\" (one size, or one per schedule) "
                + "[-Dtime_zone=Asia/Shanghai] [-Dexclude_dates=\"* * * * * 0,6\"]",
            HelpName = "key=value",
            AllowMultipleArgumentsPerToken = false,
        };
        var off = new Option<bool>("--off") { Description = "turn scheduled scaling off" };
        var json = CommonOptions.Json();
        var command = new Command("cronscale", "Show or set a service's scheduled scaling (six-field cron, time zones; with an autoscaler it sets the floor)")
        {
            service, spec, defines, off, json,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var fields = parse.GetValue(defines) ?? [];
            if (fields.Length > 0 && parse.GetValue(spec) is not null)
            {
                throw new CliException(ExitCodes.Usage, "give the schedule either as -s <file> or as -D fields, not both");
            }

            var answer = parse.GetValue(off) ? await ctx.Client.DisableCronScalerAsync(ctx.Service, ct)
                : parse.GetValue(spec) is { } file ? await ctx.Client.SetCronScalerAsync(ctx.Service, await CommonOptions.ReadSpecAsync(ctx, file, ct), ct)
                : fields.Length > 0 ? await ctx.Client.SetCronScalerAsync(ctx.Service, FromFields(fields).ToJsonString(), ct)
                : await ctx.Client.GetCronScalerAsync(ctx.Service, ct);
            return await ScalingSettingOutput.WriteAsync(ctx, answer, "cronscaler", "scheduled scaling", "cronscale",
                "no scheduled scaling", parse.GetValue(json));
        });
        root.Add(command);
    }

    /// <summary>
    /// EASCMD's fields as the ScaleJobs JSON: <c>schedules</c> (cron schedules separated by <c>;</c>), <c>target_size</c>
    /// (one size for all, or one per schedule), optional <c>time_zone</c> and <c>exclude_dates</c>. The server checks
    /// the schedules and names the job of any that is wrong.
    /// </summary>
    internal static JsonObject FromFields(IEnumerable<string> assignments)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var assignment in assignments)
        {
            var eq = assignment.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException(ExitCodes.Usage, $"-D{assignment}: expected key=value (schedules, target_size, time_zone, exclude_dates)");
            }

            var key = assignment[..eq].Trim().Replace("-", "_", StringComparison.Ordinal);
            if (key is not ("schedules" or "target_size" or "time_zone" or "exclude_dates"))
            {
                throw new CliException(ExitCodes.Usage, $"-D{assignment}: unknown field \"{key}\" (schedules, target_size, time_zone, exclude_dates)");
            }

            values[key] = assignment[(eq + 1)..];
        }

        if (!values.TryGetValue("schedules", out var schedulesText) || !values.TryGetValue("target_size", out var sizesText))
        {
            throw new CliException(ExitCodes.Usage, "scheduled scaling needs -Dschedules=\"<cron>[;<cron>…]\" and -Dtarget_size=<n>[;<n>…]");
        }

        var schedules = Split(schedulesText);
        var sizes = Split(sizesText.Replace(',', ';'));
        if (schedules.Length == 0 || (sizes.Length != 1 && sizes.Length != schedules.Length))
        {
            throw new CliException(ExitCodes.Usage,
                $"-Dtarget_size: {sizes.Length} size(s) for {schedules.Length} schedule(s); give one size for all or one per schedule");
        }

        var jobs = new JsonArray();
        for (var i = 0; i < schedules.Length; i++)
        {
            var size = sizes[sizes.Length == 1 ? 0 : i];
            if (!int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var target))
            {
                throw new CliException(ExitCodes.Usage, $"-Dtarget_size: \"{size}\" is not an instance count");
            }

            var job = new JsonObject { ["Name"] = $"schedule{i + 1}", ["Schedule"] = schedules[i], ["TargetSize"] = target };
            if (values.TryGetValue("time_zone", out var zone) && zone.Trim().Length > 0)
            {
                job["TimeZone"] = zone.Trim();
            }

            jobs.Add(job);
        }

        var result = new JsonObject { ["ScaleJobs"] = jobs };
        if (values.TryGetValue("exclude_dates", out var excludes))
        {
            result["ExcludeDates"] = new JsonArray([.. Split(excludes).Select(e => (JsonNode)JsonValue.Create(e)!)]);
        }

        return result;
    }

    private static string[] Split(string text) =>
        text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
