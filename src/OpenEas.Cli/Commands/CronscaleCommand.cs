using System.CommandLine;
using OpenEas.Cli.Output;

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
            return await ScalingSettingOutput.WriteAsync(ctx, answer, "cronscaler", "scheduled scaling", "cronscale",
                "no scheduled scaling", parse.GetValue(json));
        });
        root.Add(command);
    }
}
