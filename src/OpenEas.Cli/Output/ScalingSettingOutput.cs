using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenEas.Cli.Output;

/// <summary>Prints a scaling setting kept apart from the spec (<c>{"source", "{key}"}</c>), for autoscale and cronscale.</summary>
internal static class ScalingSettingOutput
{
    public static async Task<int> WriteAsync(CliContext ctx, JsonObject answer, string key, string what, string verb, string none, bool json)
    {
        if (json)
        {
            await ctx.Out.WriteLineAsync(answer.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }

        var source = answer["source"]?.GetValue<string>() ?? "none";
        await ctx.Out.WriteLineAsync(answer[key] is { } current
            ? $"{ctx.Service}: {what} from the {(source == "api" ? verb + " command" : "spec")}: {current.ToJsonString()}"
            : $"{ctx.Service}: {none}");
        return ExitCodes.Success;
    }
}
