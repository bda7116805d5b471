using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using OpenEas.Cli.Output;
using OpenEas.Contracts;

namespace OpenEas.Cli.Commands;

/// <summary>
/// Safe release: <c>group ls|desc|weight|sticky</c>, <c>mirror</c> (set, off, report) and <c>release</c> (a progressive
/// canary with automatic rollback, and its pause/resume/abort/promote).
/// </summary>
internal static class ReleaseCommands
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var group = new Command("group", "Service groups: one endpoint over several services, spread by weight");
        group.Add(GroupList(env));
        group.Add(GroupDesc(env));
        group.Add(GroupWeight(env));
        group.Add(GroupSticky(env));
        root.Add(group);
        root.Add(Mirror(env));
        root.Add(Release(env));
    }

    private static Command GroupList(CliEnv env)
    {
        var json = CommonOptions.Json();
        var command = new Command("ls", "List service groups and their weights") { json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var groups = await ctx.Client.ListGroupsAsync(ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(ctx.Out, groups, JsonOutput.Context.ListGroupInfo);
                return ExitCodes.Success;
            }

            Tables.Write(ctx.Console, ["GROUP", "MEMBERS", "STICKY", "ENDPOINT"], groups.Select(g => (IReadOnlyList<string>)
                [g.GroupName, string.Join(" ", g.Members.Select(m => $"{m.ServiceName}={m.Weight}")), Sticky(g), g.Endpoint]));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command GroupDesc(CliEnv env)
    {
        var name = new Argument<string>("group") { Description = "group name" };
        var json = CommonOptions.Json();
        var command = new Command("desc", "Describe a service group: members, weights, shares, endpoints") { name, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var g = await ctx.Client.DescribeGroupAsync(parse.GetValue(name)!, ct);
            return WriteGroup(ctx, g, parse.GetValue(json));
        });
        return command;
    }

    private static Command GroupWeight(CliEnv env)
    {
        var name = new Argument<string>("group") { Description = "group name" };
        var weights = new Argument<string[]>("service=weight") { Description = "new weights (0-100), applied together: blue=0 green=100", Arity = ArgumentArity.OneOrMore };
        var json = CommonOptions.Json();
        var command = new Command("weight", "Change members' weights in one step") { name, weights, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var map = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(weights) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || !int.TryParse(pair[(eq + 1)..].TrimEnd('%'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var w))
                {
                    throw new CliException(ExitCodes.Usage, $"expected service=weight (e.g. green=100), got \"{pair}\"");
                }

                map[pair[..eq]] = w;
            }

            var g = await ctx.Client.SetGroupWeightsAsync(parse.GetValue(name)!, map, ct);
            return WriteGroup(ctx, g, parse.GetValue(json));
        });
        return command;
    }

    private static Command GroupSticky(CliEnv env)
    {
        var name = new Argument<string>("group") { Description = "group name" };
        var header = new Option<string?>("--header") { Description = "keep one user on one member by this header's value", HelpName = "name" };
        var cookie = new Option<string?>("--cookie") { Description = "keep one user on one member by this cookie's value", HelpName = "name" };
        var off = new Option<bool>("--off") { Description = "spread every call by weight again" };
        var json = CommonOptions.Json();
        var command = new Command("sticky", "Keep one user on one member (a header or cookie names the user)") { name, header, cookie, off, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var h = parse.GetValue(header);
            var c = parse.GetValue(cookie);
            if (!parse.GetValue(off) && h is null && c is null)
            {
                throw new CliException(ExitCodes.Usage, "give --header NAME, --cookie NAME or --off");
            }

            var g = await ctx.Client.SetGroupStickyAsync(parse.GetValue(name)!, parse.GetValue(off) ? null : h, parse.GetValue(off) ? null : c, ct);
            return WriteGroup(ctx, g, parse.GetValue(json));
        });
        return command;
    }

    private static int WriteGroup(CliContext ctx, GroupInfo g, bool json)
    {
        if (json)
        {
            JsonOutput.Write(ctx.Out, g, JsonOutput.Context.GroupInfo);
            return ExitCodes.Success;
        }

        ctx.Out.WriteLine($"group {g.GroupName}: {g.Endpoint} (sticky: {Sticky(g)})");
        Tables.Write(ctx.Console, ["SERVICE", "WEIGHT", "SHARE", "STATUS", "RUNNING", "VERSION", "ENDPOINT"], g.Members.Select(m => (IReadOnlyList<string>)
        [
            m.ServiceName, m.Weight.ToString(CultureInfo.InvariantCulture), m.Share.ToString("0.#", CultureInfo.InvariantCulture) + "%", m.Status,
            m.RunningInstance.ToString(CultureInfo.InvariantCulture), m.CurrentVersion.ToString(CultureInfo.InvariantCulture), m.Endpoint,
        ]));
        return ExitCodes.Success;
    }

    private static string Sticky(GroupInfo g) => g.StickyHeader is { } h ? "header " + h : g.StickyCookie is { } c ? "cookie " + c : "no";

    private static Command Mirror(CliEnv env)
    {
        var service = CommonOptions.Service();
        var to = new Option<string[]>("--to") { Description = "the test service(s) that get the copies", HelpName = "service", AllowMultipleArgumentsPerToken = true };
        var percent = new Option<string?>("--percent") { Description = "share of calls copied, 0-100 (e.g. 20 or 20%)", HelpName = "n" };
        var off = new Option<bool>("--off") { Description = "stop mirroring" };
        var report = new Option<bool>("--report") { Description = "compare main and mirror: status codes, latency, differing bodies, drops" };
        var json = CommonOptions.Json();
        var command = new Command("mirror", "Copy a share of a service's live calls to test services; the callers only ever get the main answer")
        {
            service, to, percent, off, report, json,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var asJson = parse.GetValue(json);
            if (parse.GetValue(report))
            {
                var r = await ctx.Client.GetMirrorReportAsync(ctx.Service, ct);
                if (asJson)
                {
                    JsonOutput.Write(ctx.Out, r, JsonOutput.Context.MirrorReport);
                    return ExitCodes.Success;
                }

                WriteReport(ctx, r);
                return ExitCodes.Success;
            }

            MirrorSetting setting;
            if (parse.GetValue(off))
            {
                setting = await ctx.Client.DisableMirrorAsync(ctx.Service, ct);
            }
            else if (parse.GetValue(to) is { Length: > 0 } targets)
            {
                var text = parse.GetValue(percent) ?? "100";
                if (!int.TryParse(text.TrimEnd('%'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p))
                {
                    throw new CliException(ExitCodes.Usage, $"--percent: expected 0-100, got \"{text}\"");
                }

                setting = await ctx.Client.SetMirrorAsync(ctx.Service, p, targets, ct);
            }
            else if (parse.GetValue(percent) is not null)
            {
                throw new CliException(ExitCodes.Usage, "--percent needs --to <service>");
            }
            else
            {
                setting = await ctx.Client.GetMirrorAsync(ctx.Service, ct);
            }

            if (asJson)
            {
                JsonOutput.Write(ctx.Out, setting, JsonOutput.Context.MirrorSetting);
            }
            else
            {
                ctx.Out.WriteLine(setting.Target.Count == 0 || setting.Ratio == 0
                    ? $"{ctx.Service}: no mirroring"
                    : $"{ctx.Service}: {setting.Ratio}% of calls copied to {string.Join(", ", setting.Target)} (eas mirror {ctx.Service} --report)");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteReport(CliContext ctx, MirrorReport r)
    {
        ctx.Out.WriteLine($"{r.ServiceName}: {r.Ratio}% of calls mirrored");
        foreach (var t in r.Targets)
        {
            ctx.Out.WriteLine($"to {t.Target}: {t.Mirrored} mirrored, {t.Dropped} dropped (queue full), {t.Skipped} skipped, {t.Failed} failed; " +
                $"{t.Differed} of {t.Compared} compared answers differed");
            Tables.Write(ctx.Console, ["", "CALLS", "P50", "P90", "P99", "STATUS"],
            [
                ["main", t.MainLatency.Count.ToString(CultureInfo.InvariantCulture), Ms(t.MainLatency.P50Ms), Ms(t.MainLatency.P90Ms), Ms(t.MainLatency.P99Ms), Codes(t.MainStatus)],
                ["mirror", t.MirrorLatency.Count.ToString(CultureInfo.InvariantCulture), Ms(t.MirrorLatency.P50Ms), Ms(t.MirrorLatency.P90Ms), Ms(t.MirrorLatency.P99Ms), Codes(t.MirrorStatus)],
            ]);
            foreach (var e in t.Examples)
            {
                ctx.Out.WriteLine($"  differed at {Format.Time(e.Time)} {e.Path}: main {e.MainStatus} \"{OneLine(e.MainBody)}\" / mirror {e.MirrorStatus} \"{OneLine(e.MirrorBody)}\"");
            }
        }
    }

    private static string Ms(double ms) => ms.ToString("0.##", CultureInfo.InvariantCulture) + " ms";

    private static string Codes(Dictionary<string, long> codes) => string.Join(" ", codes.Select(c => $"{c.Key}×{c.Value}"));

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static Command Release(CliEnv env)
    {
        var service = CommonOptions.Service();
        var spec = new Option<string?>("--spec", "-s") { Description = "the new version's spec (whole, or the fields that change), a file or - for stdin", HelpName = "file" };
        var steps = new Option<string?>("--steps") { Description = "the canary's share at each step, in percent (default 5,25,50,100)", HelpName = "list" };
        var pause = new Option<string?>("--pause")
        {
            Description = "with --spec: how long each step lasts (default 60s); alone: hold the running release at its step",
            HelpName = "duration",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var maxError = new Option<string?>("--max-error-rate") { Description = "roll back above this 5xx rate (default 1%)", HelpName = "percent" };
        var maxP99 = new Option<double?>("--max-p99-ratio") { Description = "roll back above this canary/baseline p99 ratio (default 1.5)", HelpName = "ratio" };
        var minCalls = new Option<int?>("--min-calls") { Description = "canary calls a step needs before it may advance (default 20)", HelpName = "n" };
        var resume = new Option<bool>("--resume") { Description = "resume a paused release (the step's pause starts again)" };
        var abort = new Option<bool>("--abort") { Description = "end the release: all traffic back to the service, the canary deleted" };
        var promote = new Option<bool>("--promote") { Description = "make the new version the service's own now, without further steps" };
        var noWait = new Option<bool>("--no-wait") { Description = "start (or act) and return instead of following the release live" };
        var json = CommonOptions.Json();
        var command = new Command("release", "Progressive canary release with automatic rollback, or show/steer the running one")
        {
            service, spec, steps, pause, maxError, maxP99, minCalls, resume, abort, promote, noWait, json,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var asJson = parse.GetValue(json);
            ReleaseInfo release;
            var pauseGiven = parse.GetResult(pause) is not null;
            var follow = !parse.GetValue(noWait);
            if (parse.GetValue(spec) is { } file)
            {
                var text = await CommonOptions.ReadSpecAsync(ctx, file, ct);
                var patch = JsonNode.Parse(text) as JsonObject ?? throw new CliException(ExitCodes.InvalidSpec, $"{file}: must be a JSON object");
                release = await ctx.Client.StartCanaryAsync(ctx.Service, new CanaryRequest
                {
                    Spec = patch,
                    Steps = parse.GetValue(steps) is { } list ? ParseSteps(list) : null,
                    PauseSeconds = pauseGiven ? ParsePause(parse.GetValue(pause)) : null,
                    MaxErrorRate = parse.GetValue(maxError) is { } rate ? ParseRate(rate) : null,
                    MaxP99Ratio = parse.GetValue(maxP99),
                    MinCalls = parse.GetValue(minCalls),
                }, ct);
            }
            else if (pauseGiven || parse.GetValue(resume) || parse.GetValue(abort) || parse.GetValue(promote))
            {
                var action = pauseGiven ? "pause" : parse.GetValue(resume) ? "resume" : parse.GetValue(abort) ? "abort" : "promote";
                release = await ctx.Client.CanaryActionAsync(ctx.Service, action, ct);
                follow = follow && action is "resume" or "promote";
            }
            else
            {
                release = await ctx.Client.GetCanaryAsync(ctx.Service, ct);
                follow = false;
            }

            if (asJson && !follow)
            {
                JsonOutput.Write(ctx.Out, release, JsonOutput.Context.ReleaseInfo);
                return ExitCodes.Success;
            }

            var progress = asJson ? ctx.Err : ctx.Out;
            progress.WriteLine(Line(release));
            if (!follow)
            {
                return ExitCodes.Success;
            }

            // Live: one line per change, until the release ends.
            var last = Line(release);
            while (ReleaseStates.IsActive(release.State))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ctx.Time, ct);
                release = await ctx.Client.GetCanaryAsync(ctx.Service, ct);
                var line = Line(release);
                if (line != last)
                {
                    progress.WriteLine(line);
                    last = line;
                }
            }

            if (asJson)
            {
                JsonOutput.Write(ctx.Out, release, JsonOutput.Context.ReleaseInfo);
            }

            return release.State == ReleaseStates.Promoted ? ExitCodes.Success : ExitCodes.Error;
        });
        return command;
    }

    /// <summary>One line of a release's progress: state, weight, step and the latest judgement.</summary>
    internal static string Line(ReleaseInfo r)
    {
        var step = r.Step >= 0 ? $"step {r.Step + 1}/{r.Steps.Count}, " : "";
        var seen = r.Observed is { } o && ReleaseStates.IsActive(r.State)
            ? $" [canary {o.CanaryCalls} calls, {o.ErrorRate.ToString("P1", CultureInfo.InvariantCulture)} 5xx, p99 {o.CanaryP99Ms:0.#} ms vs {o.BaselineP99Ms:0.#} ms]"
            : "";
        return $"{r.ServiceName}: {r.State} ({step}canary {r.Weight}%): {r.Reason}{seen}";
    }

    private static List<int> ParseSteps(string text)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part.TrimEnd('%'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                throw new CliException(ExitCodes.Usage, $"--steps: expected percentages like 5,25,50,100, got \"{text}\"");
            }

            list.Add(n);
        }

        return list;
    }

    private static double ParsePause(string? text) => text is not null && TokenCommand.ParseDuration(text) is { } d
        ? d.TotalSeconds
        : throw new CliException(ExitCodes.Usage, $"--pause: expected a duration like 60s or 5m, got \"{text}\"");

    private static double ParseRate(string text)
    {
        var percent = text.EndsWith('%');
        if (!double.TryParse(text.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new CliException(ExitCodes.Usage, $"--max-error-rate: expected a rate like 1% or 0.01, got \"{text}\"");
        }

        return percent || value >= 1 ? value / 100 : value;
    }
}
