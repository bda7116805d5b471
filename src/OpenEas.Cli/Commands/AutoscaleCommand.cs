using System.CommandLine;
using OpenEas.Cli.Output;

namespace OpenEas.Cli.Commands;

/// <summary>
/// <c>autoscale &lt;svc&gt; [-Dmin=1 -Dmax=5 -Dstrategies.qps=10] [-s autoscaler.json] [--off]</c>: shows or sets a
/// service's autoscaler, apart from its spec (no new version, nothing restarts).
/// </summary>
internal static class AutoscaleCommand
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var service = CommonOptions.Service();
        var spec = new Option<string?>("--spec", "-s") { Description = "the autoscaler as JSON (EAS shape), a file or - for stdin", HelpName = "file" };
        var defines = new Option<string[]>("-D")
        {
            Description = "set one field: -Dmin=1 -Dmax=8 -Dstrategies.qps=100 -Dbehavior.scaleDown.stabilizationWindowSeconds=60",
            HelpName = "key=value",
            AllowMultipleArgumentsPerToken = false,
        };
        var off = new Option<bool>("--off") { Description = "turn the autoscaler off (the instance count stays where it is)" };
        var json = CommonOptions.Json();
        var command = new Command("autoscale", "Show or set a service's autoscaler (qps, concurrency, cpu targets; min 0 scales to zero)")
        {
            service, spec, defines, off, json,
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

            var answer = parse.GetValue(off) ? await ctx.Client.DisableAutoscalerAsync(ctx.Service, ct)
                : patch.Count > 0 ? await ctx.Client.SetAutoscalerAsync(ctx.Service, Merge(await ctx.Client.GetAutoscalerAsync(ctx.Service, ct), patch), ct)
                : await ctx.Client.GetAutoscalerAsync(ctx.Service, ct);

            return await ScalingSettingOutput.WriteAsync(ctx, answer, "autoscaler", "autoscaler", "autoscale",
                "no autoscaler (fixed instance count)", parse.GetValue(json));
        });
        root.Add(command);
    }

    /// <summary>-D fields change the autoscaler in force (so <c>-Dmax=8</c> keeps the rest).</summary>
    private static string Merge(System.Text.Json.Nodes.JsonObject current, System.Text.Json.Nodes.JsonObject patch) =>
        (current["autoscaler"] is System.Text.Json.Nodes.JsonObject existing ? SpecPatch.Merge(existing, patch) : patch).ToJsonString();
}
