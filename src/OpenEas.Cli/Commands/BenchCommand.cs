using System.CommandLine;
using System.Globalization;
using OpenEas.Cli.Output;
using OpenEas.Client;
using OpenEas.Client.Stress;
using OpenEas.Contracts;

namespace OpenEas.Cli.Commands;

/// <summary>
/// <c>bench &lt;svc&gt;</c>: a stress test of one service through the gateway — open loop at a fixed rate, a ramp that
/// finds the maximum sustainable QPS, or a closed loop for peak throughput — with a line per second, a summary and
/// a self-contained HTML report (per-second QPS, latency, errors and instance CPU).
/// </summary>
internal static class BenchCommand
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var service = CommonOptions.Service();
        var data = new Option<string?>("--data", "-d") { Description = "request body: text, @file, or @- for stdin", HelpName = "body" };
        var rps = new Option<double?>("--rps") { Description = "open loop: calls per second (latency as users see it)", HelpName = "N" };
        var ramp = new Option<string?>("--ramp")
        {
            Description = "open loop, raised until a limit: start:step:every (e.g. 50:50:5s); reports the max sustainable QPS",
            HelpName = "a:b:every",
        };
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "closed loop with C callers (peak throughput)", HelpName = "C" };
        var duration = new Option<string?>("--duration")
        {
            Description = "how long at most (≤ 1h; default 30s, 5m with --ramp)",
            HelpName = "time",
        };
        var slo = new Option<string>("--slo") { Description = "ramp: a step with p99 over this fails", DefaultValueFactory = _ => "500ms", HelpName = "time" };
        var maxErrors = new Option<string>("--max-errors") { Description = "ramp: a step with more errors fails", DefaultValueFactory = _ => "1%", HelpName = "pct" };
        var report = new Option<string?>("--report") { Description = "HTML report path (default bench-<svc>-<time>.html here)", HelpName = "file" };
        var noReport = new Option<bool>("--no-report") { Description = "do not write the HTML report" };
        var json = CommonOptions.Json();
        var token = new Option<string?>("--token") { Description = "the service's access token (default: looked up with 'desc')", HelpName = "token" };
        var method = new Option<string>("--method", "-X") { Description = "HTTP method", DefaultValueFactory = _ => "POST", HelpName = "method" };
        var path = new Option<string?>("--path") { Description = "sub-path after /api/predict/<service>/", HelpName = "path" };
        var connections = new Option<int>("--connections")
        {
            Description = "open loop: connections at most", DefaultValueFactory = _ => 64, HelpName = "N",
        };
        var maxOutstanding = new Option<int>("--max-outstanding")
        {
            Description = "open loop: calls in flight at most; calls due beyond it are dropped and counted as errors",
            DefaultValueFactory = _ => 1000,
            HelpName = "N",
        };
        var maxRequests = new Option<long>("--max-requests") { Description = "calls at most over the run", DefaultValueFactory = _ => 10_000_000, HelpName = "N" };
        var timeout = new Option<string>("--timeout") { Description = "one call's time limit", DefaultValueFactory = _ => "30s", HelpName = "time" };
        var command = new Command("bench", "Stress-test a service: fixed rate (open loop), ramp to its limit, or fixed concurrency; writes an HTML report")
        {
            service, data, rps, ramp, concurrency, duration, slo, maxErrors, report, noReport, json, token, method, path, connections,
            maxOutstanding, maxRequests, timeout,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var request = new JobRequest
            {
                Service = ctx.Service,
                Rps = parse.GetValue(rps),
                Ramp = parse.GetValue(ramp),
                Concurrency = parse.GetValue(concurrency),
                Duration = parse.GetValue(duration) ?? (parse.GetValue(ramp) is null ? "30s" : "5m"),
                Slo = parse.GetValue(slo),
                MaxErrors = parse.GetValue(maxErrors),
                Method = parse.GetValue(method),
                Path = parse.GetValue(path),
            };
            StressPlan plan;
            var body = await PredictCommand.ReadBodyAsync(ctx, parse.GetValue(data), ct);
            try
            {
                plan = StressPlanFactory.Create(request, ctx.Client.PredictUri(ctx.Service, request.Path), null, body) with
                {
                    Connections = parse.GetValue(connections),
                    MaxOutstanding = parse.GetValue(maxOutstanding),
                    MaxRequests = parse.GetValue(maxRequests),
                    Timeout = StressParse.Duration(parse.GetValue(timeout)!, "--timeout"),
                };
                plan.Validate();
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException)
            {
                throw new CliException(ExitCodes.Usage, "bench: " + ex.Message);
            }

            plan = plan with { Token = parse.GetValue(token) ?? await PredictCommand.LookUpTokenAsync(ctx, ct) };
            var asJson = parse.GetValue(json);
            var progress = asJson ? ctx.Err : ctx.Out;
            progress.WriteLine($"eas bench {ctx.Service}: {plan.Describe()} for at most {Format(plan.Duration)} → {plan.Target}");
            progress.WriteLine("    t  offered      sent        ok    errors  achieved/s    p50 ms    p90 ms    p99 ms    max ms");
            progress.Flush();
            using var runner = new StressRunner(plan, time: ctx.Time);
            runner.OnSecond = s =>
            {
                lock (progress)
                {
                    progress.WriteLine(Line(s));
                    progress.Flush();
                }
            };
            runner.OnStep = st =>
            {
                lock (progress)
                {
                    progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  step {st.Index}: offered {st.OfferedQps:0.##}/s achieved {st.AchievedQps:0.0}/s p99 {st.P99Ms:0.0} ms errors {st.Errors}: {st.Verdict}"));
                    progress.Flush();
                }
            };
            var result = await runner.RunAsync(ct);

            // Instance CPU over the run, from the server's metrics (best effort; the run is reported either way).
            try
            {
                using var cpuTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var s = result.Summary;
                var series = await ctx.Client.GetMetricsAsync(ctx.Service, null, s.Start - TimeSpan.FromSeconds(1), s.End + TimeSpan.FromSeconds(2), 1, cpuTimeout.Token);
                StressCpu.Merge(result, series.Points);
            }
            catch (Exception ex) when (ex is EasApiException or OperationCanceledException)
            {
                ctx.Warn("instance CPU not included: " + ex.Message);
            }

            string? reportPath = null;
            if (!parse.GetValue(noReport))
            {
                reportPath = Path.GetFullPath(parse.GetValue(report)
                    ?? $"bench-{ctx.Service}-{result.Summary.Start:yyyyMMdd-HHmmss}.html");
                await File.WriteAllTextAsync(reportPath, StressReportHtml.Render(result), CancellationToken.None);
            }

            if (asJson)
            {
                JsonOutput.Write(ctx.Out, result, JsonOutput.Context.StressReport);
            }
            else
            {
                WriteSummary(ctx, result);
            }

            if (reportPath is not null)
            {
                ctx.Err.WriteLine($"report: {reportPath}");
            }

            return result.Summary.Cancelled ? ExitCodes.Cancelled : ExitCodes.Success;
        });
        root.Add(command);
    }

    internal static string Line(StressSecond s)
    {
        var offered = s.OfferedQps > 0 ? s.OfferedQps.ToString("0.#", CultureInfo.InvariantCulture) : "-";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{s.T + 1,5}  {offered,7}  {s.Sent,8}  {s.Ok,8}  {s.Errors,8}  {s.AchievedQps,10:0.0}  {s.P50Ms,8:0.00}  {s.P90Ms,8:0.00}  {s.P99Ms,8:0.00}  {s.MaxMs,8:0.00}");
        return s.ErrorsByStatus.Count > 0 ? line + "  " + string.Join(' ', s.ErrorsByStatus.Select(e => $"{e.Key}:{e.Value}")) : line;
    }

    private static void WriteSummary(CliContext ctx, StressReport r)
    {
        var s = r.Summary;
        var ic = CultureInfo.InvariantCulture;
        var rows = new List<(string, string)>
        {
            ("Service", s.Service),
            ("Mode", s.Mode),
            ("Duration", s.Seconds.ToString("0.0 s", ic)),
            ("Stopped", s.StopReason),
            ("Sent", s.Sent.ToString(ic)),
            ("Ok", s.Ok.ToString(ic)),
            ("Errors", s.Errors.ToString(ic) + (s.ErrorsByStatus.Count > 0
                ? " (" + string.Join(", ", s.ErrorsByStatus.Select(e => $"{e.Key}: {e.Value}")) + ")" : "")),
            ("AchievedQps", s.AchievedQps.ToString("0.0", ic)),
            ("GeneratorCpu", string.Create(ic, $"{s.ProcessCpuSeconds:0.00} s ({s.ProcessCpuSeconds / Math.Max(s.Seconds, 0.001):0.00} cores)")),
            ("LatencyMs p50/p90/p99/p99.9/max", string.Create(ic, $"{s.P50Ms:0.00} / {s.P90Ms:0.00} / {s.P99Ms:0.00} / {s.P999Ms:0.00} / {s.MaxMs:0.00}")),
        };
        if (s.MaxSustainableQps is { } max)
        {
            rows.Add(("MaxSustainableQps", max.ToString("0.##", ic)));
        }
        else if (r.Steps.Count > 0)
        {
            rows.Add(("MaxSustainableQps", "none (the first step failed)"));
        }

        Tables.WriteKeyValues(ctx.Console, rows);
    }

    private static string Format(TimeSpan t) =>
        t.TotalSeconds < 120 ? t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + "s" : t.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture) + "m";
}
