using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using OpenEas.Bench.Infrastructure;
using OpenEas.Client;
using OpenEas.Contracts;

namespace OpenEas.Bench.Scaling;

/// <summary>Settings of one <c>scaling</c> run: the profile's phase lengths and rates.</summary>
internal sealed record ScalingOptions(int IdleSeconds, int StepSeconds, int TailSeconds, double BaseRate, double StepFactor,
    string? WritePath, string? Note, string CommandLine);

/// <summary>What one fleet did under the profile.</summary>
internal sealed record FleetRun(string Name, List<LoadSecond> Seconds, List<int> Instances, IReadOnlyList<string> Failures,
    DateTimeOffset LoadStarted, List<ServiceEvent> Events)
{
    public int InstanceSeconds => Instances.Sum();
    public int Failed => Seconds.Sum(s => s.Failed);
    public int Ok => Seconds.Sum(s => s.Ok);
}

/// <summary>
/// Elastic scaling under a scripted profile (idle → 10× step → idle) against a service with a fixed service time
/// and a per-instance concurrency limit: an autoscaled fleet, then a fixed fleet sized for the peak at the same
/// per-instance target, same profile, same run. Reports time to react, time to recover p99, instance-seconds and failed calls.
/// </summary>
internal static class ScalingScenario
{
    public const string SectionTitle = "## Elastic scaling (idle → 10× step → idle)";
    private const double TargetQps = 20;

    public static async Task<int> RunAsync(ScalingOptions options, CancellationToken ct)
    {
        var root = RepoPaths.FindRoot();
        var program = Path.Combine(root, "test", "OpenEas.FunctionalTests", "Programs", "service_time.py");
        if (!File.Exists(program))
        {
            throw new BenchException($"{program} is missing");
        }

        var phases = new List<LoadPhase>
        {
            new("idle", options.BaseRate, TimeSpan.FromSeconds(options.IdleSeconds)),
            new("step", options.BaseRate * options.StepFactor, TimeSpan.FromSeconds(options.StepSeconds)),
            new("idle after", options.BaseRate, TimeSpan.FromSeconds(options.TailSeconds)),
        };

        var loadBefore = Machine.LoadAverage1();
        Console.Error.WriteLine("bench: building and starting the eas server …");
        await using var server = await EasServerProcess.StartAsync(root, ct);
        using var client = new EasClient(server.Endpoint.ToString(), server.AdminToken);

        var auto = await RunFleetAsync(client, "scaling_auto", Spec("scaling_auto", program, 1, autoscale: true), phases, ct);
        // The fixed fleet is what the peak needs at the same per-instance target: the count an operator would provision.
        var peak = (int)Math.Ceiling(options.BaseRate * options.StepFactor / TargetQps);
        var fixedFleet = await RunFleetAsync(client, "scaling_fixed", Spec("scaling_fixed", program, peak, autoscale: false), phases, ct);

        var report = Render(options, root, phases, auto, fixedFleet, peak, loadBefore, Machine.LoadAverage1());
        Console.WriteLine(report);
        if (options.WritePath is { } path)
        {
            var full = Path.IsPathRooted(path) ? path : Path.GetFullPath(path);
            ResultsFile.ReplaceSection(full, SectionTitle, report);
            Console.Error.WriteLine($"bench: wrote {full}");
        }

        return auto.Failed + fixedFleet.Failed == 0 ? 0 : 1;
    }

    /// <summary>Two calls at a time per instance (a 50 ms service time: about 40 calls/s each); the rest wait in the gateway's queue.</summary>
    private static string Spec(string name, string program, int instances, bool autoscale)
    {
        var spec = new JsonObject
        {
            ["name"] = name,
            ["containers"] = new JsonArray(new JsonObject { ["script"] = "exec python3 " + program }),
            ["metadata"] = new JsonObject
            {
                ["instance"] = instances,
                ["cpu"] = 0.1,
                ["memory"] = 64,
                ["rpc"] = new JsonObject { ["max_concurrency"] = 2, ["max_queue_size"] = 1000 },
            },
        };
        if (autoscale)
        {
            spec["autoscaler"] = new JsonObject
            {
                ["min"] = 1,
                ["max"] = 8,
                ["scaleStrategies"] = new JsonArray(new JsonObject { ["metricName"] = "qps", ["threshold"] = TargetQps }),
                ["behavior"] = new JsonObject
                {
                    ["stableWindowSeconds"] = 20,
                    ["scaleDown"] = new JsonObject { ["stabilizationWindowSeconds"] = 10 },
                },
            };
        }

        return spec.ToJsonString();
    }

    private static async Task<FleetRun> RunFleetAsync(EasClient client, string name, string spec, List<LoadPhase> phases, CancellationToken ct)
    {
        var created = await client.CreateServiceAsync(spec, ct);
        try
        {
            var want = created.TotalInstance;
            var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
            while ((await client.DescribeServiceAsync(name, ct)) is var d && (d.Status != ServiceStates.Running || d.RunningInstance < want))
            {
                if (DateTimeOffset.UtcNow > deadline)
                {
                    throw new BenchException($"{name} did not reach Running with {want} instance(s) in 60 s: {d.Status} {d.Reason}");
                }

                await Task.Delay(200, ct);
            }

            Console.Error.WriteLine($"bench: {name}: {want} instance(s) running; load profile {string.Join(" → ", phases.Select(p => $"{p.Name} {p.Rate:0}/s for {p.Length.TotalSeconds:0}s"))}");
            var instances = new List<int>();
            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var load = new StepLoad(client, name, created.AccessToken, phases);
            var started = DateTimeOffset.UtcNow;
            var sampler = SampleAsync(client, name, instances, sampling.Token);
            var seconds = await load.RunAsync(s =>
            {
                if (s % 10 == 0)
                {
                    Console.Error.WriteLine($"bench: {name}: second {s}, {(instances.Count > 0 ? instances[^1] : 0)} instance(s)");
                }
            }, ct);
            await sampling.CancelAsync();
            await sampler;
            var events = await client.ListEventsAsync(name, 1000, ct);
            return new FleetRun(name, seconds, instances, load.Failures, started, events);
        }
        finally
        {
            await client.DeleteServiceAsync(name, CancellationToken.None);
            var until = DateTimeOffset.UtcNow.AddSeconds(30);
            while (DateTimeOffset.UtcNow < until && (await client.ListServicesAsync(CancellationToken.None)).Any(s => s.ServiceName == name))
            {
                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    /// <summary>Once a second: how many instances hold resources (started, not yet gone).</summary>
    private static async Task SampleAsync(EasClient client, string name, List<int> samples, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var list = await client.ListInstancesAsync(name, ct);
                samples.Add(list.Count(i => i.Pid is not null));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private static string Render(ScalingOptions options, string root, List<LoadPhase> phases, FleetRun auto, FleetRun fixedFleet, int peak,
        double? loadBefore, double? loadAfter)
    {
        var ic = CultureInfo.InvariantCulture;
        var stepStart = options.IdleSeconds;
        var stepEnd = options.IdleSeconds + options.StepSeconds;

        // Time to react: the step's start → the autoscaler's first scale-up event.
        var stepWall = auto.LoadStarted.AddSeconds(stepStart);
        var firstUp = auto.Events.Where(e => e.Reason == "Autoscaled" && e.Time >= stepWall.AddSeconds(-1)).OrderBy(e => e.Time).FirstOrDefault();
        double? react = firstUp is null ? null : Math.Max(0, (firstUp.Time - stepWall).TotalSeconds);

        // Time to recover p99: the fixed fleet's p99 in the step sets the bar (×1.5); recovered = 5 s in a row under it.
        var fixedStepP99 = Median(fixedFleet.Seconds.Where(s => s.Second >= stepStart && s.Second < stepEnd).Select(s => s.P99Ms).ToList());
        var bar = fixedStepP99 * 1.5;
        int? recovered = null;
        for (var s = stepStart; s + 5 <= stepEnd; s++)
        {
            if (auto.Seconds.Skip(s).Take(5).All(x => x.P99Ms <= bar))
            {
                recovered = s - stepStart;
                break;
            }
        }

        var autoStepP99 = Median(auto.Seconds.Where(s => s.Second >= stepStart + (recovered ?? 0) && s.Second < stepEnd).Select(s => s.P99Ms).ToList());
        var worst = auto.Seconds.Where(s => s.Second >= stepStart && s.Second < stepEnd).Select(s => s.P99Ms).DefaultIfEmpty(0).Max();
        var saving = 1 - ((double)auto.InstanceSeconds / Math.Max(1, fixedFleet.InstanceSeconds));
        var failed = auto.Failed + fixedFleet.Failed;

        var sb = new StringBuilder();
        sb.AppendLine(SectionTitle).AppendLine();
        ResultsFile.AppendRun(sb, options.CommandLine, root, loadBefore, loadAfter);
        sb.AppendLine(ic, $"- profile (open loop, latency from each call's intended start): {string.Join(" → ", phases.Select(p => $"{p.Rate:0} calls/s for {p.Length.TotalSeconds:0} s"))}");
        sb.AppendLine("- service: `service_time.py` (50 ms per call), `rpc.max_concurrency: 2` (≈ 40 calls/s per instance), the rest queued by the gateway");
        sb.AppendLine(ic, $"- autoscaler: qps {TargetQps:0}/instance, min 1, max 8, `behavior.stableWindowSeconds: 20` (panic window 2 s), `scaleDown.stabilizationWindowSeconds: 10`");
        sb.AppendLine(ic, $"- baseline: a fixed fleet of {peak} instance(s) (the peak rate ÷ the autoscaler's qps target per instance), same profile, right after");
        ResultsFile.AppendNote(sb, options.Note);

        sb.AppendLine();
        sb.AppendLine("| | autoscaled | fixed fleet for peak |");
        sb.AppendLine("|---|---:|---:|");
        sb.AppendLine(ic, $"| instance-seconds | {auto.InstanceSeconds} | {fixedFleet.InstanceSeconds} |");
        sb.AppendLine(ic, $"| instances (min–max sampled) | {Range(auto.Instances)} | {Range(fixedFleet.Instances)} |");
        sb.AppendLine(ic, $"| p99 in the step, median of per-second p99s | {autoStepP99:0} ms (after recovery) | {fixedStepP99:0} ms |");
        sb.AppendLine(ic, $"| worst per-second p99 in the step | {worst:0} ms | {fixedFleet.Seconds.Where(s => s.Second >= stepStart && s.Second < stepEnd).Select(s => s.P99Ms).DefaultIfEmpty(0).Max():0} ms |");
        sb.AppendLine(ic, $"| calls answered 200 / failed | {auto.Ok} / {auto.Failed} | {fixedFleet.Ok} / {fixedFleet.Failed} |");
        sb.AppendLine();
        var reactText = react is { } r ? r.ToString("0.0", ic) + " s" : "no scale-up";
        var why = firstUp is null ? "" : $" — \"{firstUp.Message}\"";
        sb.AppendLine(ic, $"- time to react (step start → first scale-up event): **{reactText}**{why}");
        sb.AppendLine(ic, $"- time to recover p99 (to ≤ 1.5× the fixed fleet's, {bar:0} ms, for 5 s in a row): **{(recovered is { } rc ? rc + " s" : "not recovered")}**");
        sb.AppendLine(ic, $"- instance-seconds saved against the fixed fleet: **{saving:P0}**");
        var met = react is <= 2 && saving >= 0.40 && failed == 0;
        sb.AppendLine(ic, $"- goal (reaction ≤ 2 s, ≥ 40 % fewer instance-seconds, 0 failed calls): **{(met ? "met" : "not met")}**");
        if (auto.Failures.Count + fixedFleet.Failures.Count > 0)
        {
            sb.AppendLine(ic, $"- failures seen: {string.Join("; ", auto.Failures.Concat(fixedFleet.Failures).Take(5))}");
        }

        sb.AppendLine();
        sb.AppendLine("Scaling decisions:").AppendLine();
        foreach (var e in auto.Events.Where(e => e.Reason == "Autoscaled").OrderBy(e => e.Time))
        {
            sb.AppendLine(ic, $"- +{(e.Time - auto.LoadStarted).TotalSeconds:0.0} s: {e.Message}");
        }

        return sb.ToString().TrimEnd('\n');
    }

    private static double Median(List<double> values) => values.Count == 0 ? 0 : Stats.Of(values).Median;

    private static string Range(List<int> values) => values.Count == 0 ? "-" : $"{values.Min()}–{values.Max()}";
}
