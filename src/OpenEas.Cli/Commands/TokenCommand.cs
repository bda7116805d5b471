using System.Globalization;
using System.CommandLine;
using OpenEas.Cli.Output;

namespace OpenEas.Cli.Commands;

/// <summary><c>token &lt;svc&gt; [--rotate] [--grace 1h]</c>: print a service's access token, or replace it.</summary>
internal static class TokenCommand
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var service = CommonOptions.Service();
        var rotate = new Option<bool>("--rotate") { Description = "make a new token; the old one keeps working for --grace" };
        var grace = new Option<string?>("--grace")
        {
            Description = "with --rotate: how long the old token stays valid, e.g. 90s, 30m, 1h, 2d, or seconds; 0 ends it at once (default 1h)",
            HelpName = "duration",
        };
        var json = CommonOptions.Json();
        var command = new Command("token", "Print a service's access token (only the token, for scripts), or rotate it")
        {
            service, rotate, grace, json,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var graceText = parse.GetValue(grace);
            if (!parse.GetValue(rotate))
            {
                if (graceText is not null)
                {
                    throw new CliException(ExitCodes.Usage, "--grace needs --rotate");
                }

                var d = await ctx.Client.DescribeServiceAsync(ctx.Service, ct);
                if (parse.GetValue(json))
                {
                    JsonOutput.Write(ctx.Out, d, JsonOutput.Context.ServiceDescription);
                }
                else
                {
                    ctx.Out.WriteLine(d.AccessToken);
                }

                return ExitCodes.Success;
            }

            TimeSpan? duration = null;
            if (graceText is not null)
            {
                duration = ParseDuration(graceText)
                    ?? throw new CliException(ExitCodes.Usage, $"--grace: expected a duration like 90s, 30m, 1h, 2d or a number of seconds, got \"{graceText}\"");
            }

            var rotated = await ctx.Client.RotateTokenAsync(ctx.Service, duration, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, rotated, JsonOutput.Context.ServiceDescription);
            }
            else
            {
                ctx.Out.WriteLine(rotated.AccessToken);
            }

            var kept = duration ?? TimeSpan.FromHours(1);
            ctx.Err.WriteLine(kept > TimeSpan.Zero
                ? $"Token of {ctx.Service} rotated; the previous token keeps working until {Format.Time(ctx.Time.GetUtcNow() + kept)}."
                : $"Token of {ctx.Service} rotated; the previous token no longer works.");
            return ExitCodes.Success;
        });
        root.Add(command);
    }

    /// <summary>Parses <c>90</c> (seconds), <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>2d</c> or a sum such as <c>1h30m</c>; null when malformed.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        var value = text.Trim();
        if (value.Length == 0)
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain))
        {
            return plain >= 0 && plain <= TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(plain) : null;
        }

        var total = 0d;
        var i = 0;
        while (i < value.Length)
        {
            var start = i;
            while (i < value.Length && (char.IsAsciiDigit(value[i]) || value[i] == '.'))
            {
                i++;
            }

            if (i == start || i == value.Length
                || !double.TryParse(value.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            var unit = char.ToLowerInvariant(value[i++]) switch
            {
                's' => 1d,
                'm' => 60d,
                'h' => 3600d,
                'd' => 86400d,
                _ => double.NaN,
            };
            if (double.IsNaN(unit))
            {
                return null;
            }

            total += number * unit;
        }

        return total <= TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(total) : null;
    }
}
