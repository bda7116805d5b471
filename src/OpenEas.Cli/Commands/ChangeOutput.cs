using OpenEas.Cli.Output;
using OpenEas.Contracts;

namespace OpenEas.Cli.Commands;

/// <summary>Prints what a changing verb (modify, scale, start, stop, version) did, and waits when asked.</summary>
internal static class ChangeOutput
{
    public static async Task<int> WriteAsync(CliContext ctx, ServiceChangeResult result, bool json, bool wait, int timeoutSeconds,
        CancellationToken ct)
    {
        ctx.WriteWarnings(result.Service);
        if (!wait)
        {
            if (json)
            {
                JsonOutput.Write(ctx.Out, result, JsonOutput.Context.ServiceChangeResult);
            }
            else
            {
                ctx.Out.WriteLine($"{result.Service.ServiceName}: {Format.Change(result)}; status {result.Service.Status}");
            }

            return ExitCodes.Success;
        }

        if (!json)
        {
            ctx.Out.WriteLine($"{result.Service.ServiceName}: {Format.Change(result)}");
        }

        var version = result.Change == "new-version" ? result.Service.LatestVersion : (int?)null;
        var final = await WaitAsync(ctx, result.Service.ServiceName, version, json, timeoutSeconds, ct);
        if (json)
        {
            JsonOutput.Write(ctx.Out, new ServiceChangeResult { Service = final, Change = result.Change }, JsonOutput.Context.ServiceChangeResult);
        }

        return final.Status == ServiceStates.Failed ? ExitCodes.Error : ExitCodes.Success;
    }

    /// <summary>Waits for Running/Failed; progress goes to stdout, or to stderr when stdout carries JSON.</summary>
    public static async Task<ServiceDescription> WaitAsync(CliContext ctx, string name, int? version, bool json, int timeoutSeconds,
        CancellationToken ct)
    {
        if (timeoutSeconds <= 0)
        {
            throw new CliException(ExitCodes.Usage, "--timeout must be a positive number of seconds");
        }

        var final = await ctx.WaitRunningAsync(name, version, TimeSpan.FromSeconds(timeoutSeconds), json ? ctx.Err : ctx.Out, ct);
        if (final.Status == ServiceStates.Failed)
        {
            var why = string.Join(": ", new[] { final.Reason, final.Message }.Where(s => !string.IsNullOrEmpty(s)));
            ctx.Err.WriteLine($"eas: service \"{name}\" failed{(why.Length > 0 ? ": " + why : "")} (see 'eas events {name}')");
        }

        return final;
    }
}
