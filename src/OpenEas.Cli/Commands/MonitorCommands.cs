using System.CommandLine;
using OpenEas.Cli.Output;
using OpenEas.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OpenEas.Cli.Commands;

/// <summary>
/// <c>monitor &lt;svc&gt;</c> (one service's load, live) and <c>top</c> (every service, busiest first). Both refresh every
/// interval: a live view on a terminal, one plain line per refresh when redirected, one JSON line with <c>--json</c>.
/// </summary>
internal static class MonitorCommands
{
    public static void Add(RootCommand root, CliEnv env)
    {
        root.Add(Monitor(env));
        root.Add(Top(env));
    }

    private static Command Monitor(CliEnv env)
    {
        var service = CommonOptions.Service();
        var instance = new Option<string?>("--instance", "-i") { Description = "one instance (default: the whole service)", HelpName = "name" };
        var interval = Interval();
        var count = Count();
        var json = Jsonl();
        var command = new Command("monitor", "Watch a service's load live: QPS, latency, errors, in-flight, CPU, memory")
        {
            service, instance, interval, count, json,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var who = parse.GetValue(instance);
            var (every, times) = Schedule(parse, interval, count);
            var asJson = parse.GetValue(json);
            var history = new MetricSeries { Service = ctx.Service, Instance = who, Step = 1 };
            var first = true;

            async Task RefreshAsync(CancellationToken token)
            {
                // Ask again for the last minute as the server's clock sees it (first call: its default window).
                var from = history.Points.Count > 0 ? history.Points[^1].Time.AddSeconds(-MonitorView.HistorySeconds) : (DateTimeOffset?)null;
                history = await ctx.Client.GetMetricsAsync(ctx.Service, who, from, ct: token);
                if (first && who is not null && history.Points.Count == 0)
                {
                    var instances = await ctx.Client.ListInstancesAsync(ctx.Service, token);
                    if (!instances.Any(i => i.InstanceName == who))
                    {
                        throw new CliException(ExitCodes.NotFound, $"service \"{ctx.Service}\" has no instance \"{who}\" (see 'eas w {ctx.Service}')");
                    }
                }

                first = false;
            }

            MetricSeries Newest() => new()
            {
                Service = history.Service,
                Instance = history.Instance,
                Step = history.Step,
                Points = history.Points.Count > 0 ? [history.Points[^1]] : [],
            };

            if (asJson)
            {
                await RunAsync(ctx, every, times, async token =>
                {
                    await RefreshAsync(token);
                    JsonOutput.Write(ctx.Out, Newest(), JsonOutput.Compact.MetricSeries);
                }, ct);
            }
            else if (!ctx.Io.IsTerminal)
            {
                await RunAsync(ctx, every, times, async token =>
                {
                    await RefreshAsync(token);
                    ctx.Out.WriteLine(MonitorView.Line(ctx.Service, who, history.Points.Count > 0 ? history.Points[^1] : null));
                    await ctx.Out.FlushAsync(token);
                }, ct);
            }
            else
            {
                await LiveAsync(ctx, every, times, async token =>
                {
                    await RefreshAsync(token);
                    return MonitorView.Panel(ctx.Service, who, history, ctx.Console.Profile.Width);
                }, ct);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Top(CliEnv env)
    {
        var interval = Interval();
        var count = Count();
        var json = Jsonl();
        var command = new Command("top", "Watch every service's load live, busiest first") { interval, count, json };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            var (every, times) = Schedule(parse, interval, count);
            if (parse.GetValue(json))
            {
                await RunAsync(ctx, every, times, async token =>
                {
                    var latest = await ctx.Client.GetLatestMetricsAsync(token);
                    JsonOutput.Write(ctx.Out, latest, JsonOutput.Compact.ListMetricSeries);
                }, ct);
                return ExitCodes.Success;
            }

            async Task<List<MonitorView.TopRow>> RowsAsync(CancellationToken token)
            {
                var services = ctx.Client.ListServicesAsync(token);
                var latest = ctx.Client.GetLatestMetricsAsync(token);
                return MonitorView.TopRows(await services, await latest);
            }

            if (!ctx.Io.IsTerminal)
            {
                await RunAsync(ctx, every, times, async token =>
                {
                    var rows = await RowsAsync(token);
                    var now = ctx.Time.GetUtcNow();
                    foreach (var row in rows)
                    {
                        ctx.Out.WriteLine(MonitorView.Line(now, row));
                    }

                    if (rows.Count == 0)
                    {
                        ctx.Out.WriteLine($"{now.ToLocalTime():HH:mm:ss} no services");
                    }

                    await ctx.Out.FlushAsync(token);
                }, ct);
            }
            else
            {
                await LiveAsync(ctx, every, times, async token => MonitorView.Table(ctx.Time.GetUtcNow(), await RowsAsync(token)), ct);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Option<string> Interval() => new("--interval")
    {
        Description = "time between refreshes: 1s, 0.5s, 2s, 1m",
        DefaultValueFactory = _ => "1s",
        HelpName = "duration",
    };

    private static Option<int?> Count() => new("--count", "-n") { Description = "stop after N refreshes (default: until Ctrl-C)", HelpName = "n" };

    private static Option<bool> Jsonl() => new("--json") { Description = "print each refresh as one JSON line (the SDK's objects, EAS field names)" };

    private static (TimeSpan Interval, int? Count) Schedule(ParseResult parse, Option<string> interval, Option<int?> count)
    {
        var text = parse.GetValue(interval)!;
        if (TokenCommand.ParseDuration(text) is not { } every || every < TimeSpan.FromMilliseconds(100))
        {
            throw new CliException(ExitCodes.Usage, $"--interval: expected a duration of at least 0.1s like 1s, 0.5s, 2s or 1m, got \"{text}\"");
        }

        var times = parse.GetValue(count);
        if (times is < 1)
        {
            throw new CliException(ExitCodes.Usage, $"--count: expected 1 or more, got {times}");
        }

        return (every, times);
    }

    /// <summary>
    /// Runs <paramref name="refresh"/> at once and then every <paramref name="interval"/> (on a fixed schedule, so a slow
    /// call does not make the clock drift), <paramref name="count"/> times or until cancelled.
    /// </summary>
    internal static async Task RunAsync(CliContext ctx, TimeSpan interval, int? count, Func<CancellationToken, Task> refresh, CancellationToken ct)
    {
        var time = ctx.Time;
        var next = time.GetTimestamp();
        for (var n = 1; ; n++)
        {
            await refresh(ct);
            if (count is { } c && n >= c)
            {
                return;
            }

            var now = time.GetTimestamp();
            next += (long)(interval.TotalSeconds * time.TimestampFrequency);
            if (next < now)
            {
                next = now; // fell behind (a slow server): start again from now rather than refresh in a burst
            }

            await Task.Delay(time.GetElapsedTime(now, next), time, ct);
        }
    }

    /// <summary>A Spectre.Console live view that redraws what <paramref name="render"/> builds on each refresh.</summary>
    private static Task LiveAsync(CliContext ctx, TimeSpan interval, int? count, Func<CancellationToken, Task<IRenderable>> render,
        CancellationToken ct) =>
        ctx.Console.Live(new Text("connecting to " + ctx.DisplayEndpoint + " ..."))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async live => await RunAsync(ctx, interval, count, async token =>
            {
                live.UpdateTarget(await render(token));
                live.Refresh();
            }, ct));
}
