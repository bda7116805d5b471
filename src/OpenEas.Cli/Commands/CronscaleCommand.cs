using System.CommandLine;
using System.Text.Json;

namespace OpenEas.Cli.Commands;

/// <summary><c>cronscale &lt;svc&gt; [-s cron.json] [--off]</c>: shows or sets scheduled scaling (EAS's ScaleJobs JSON).</summary>
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
        var off = new Option<bool>("--off") { Description = "turn scheduled scaling off" };
        var json = CommonOptions.Json();
        var command = new Command("cronscale", "Show or set a service's scheduled scaling (six-field cron, time zones; with an autoscaler it sets the floor)")
        {
            service, spec, off, json,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var answer = parse.GetValue(off) ? await ctx.Client.DisableCronScalerAsync(ctx.Service, ct)
                : parse.GetValue(spec) is { } file ? await ctx.Client.SetCronScalerAsync(ctx.Service, await CommonOptions.ReadSpecAsync(ctx, file, ct), ct)
                : await ctx.Client.GetCronScalerAsync(ctx.Service, ct);
            if (parse.GetValue(json))
            {
                await ctx.Out.WriteLineAsync(answer.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Success;
            }

            var source = answer["source"]?.GetValue<string>() ?? "none";
            await ctx.Out.WriteLineAsync(answer["cronscaler"] is { } current
                ? $"{ctx.Service}: scheduled scaling from the {(source == "api" ? "cronscale command" : "spec")}: {current.ToJsonString()}"
                : $"{ctx.Service}: no scheduled scaling");
            return ExitCodes.Success;
        });
        root.Add(command);
    }
}
