using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OpenEas.Bench.Infrastructure;
using OpenEas.Client;
using OpenEas.Contracts;

namespace OpenEas.Bench.Release;

/// <summary>Settings of one <c>release</c> run.</summary>
internal sealed record ReleaseBenchOptions(int Rounds, int DurationSeconds, int WarmupSeconds, int Rate, int MirrorDelayMs, string? WritePath,
    string? Note, string CommandLine);

/// <summary>
/// What mirroring costs the callers of the main service: the same open-loop load with mirroring off (0 %) and with every call
/// copied (100 %) to a deliberately slow test service, interleaved (off, on, off, on, …) in one run. Reports p50/p99 of main
/// calls for both and the added p99.
/// </summary>
internal static class ReleaseScenario
{
    public const string SectionTitle = "## Traffic mirroring: main-call latency with mirroring off and at 100 % to a slow mirror";

    public static async Task<int> RunAsync(ReleaseBenchOptions options, CancellationToken ct)
    {
        var root = RepoPaths.FindRoot();
        var program = Path.Combine(root, "test", "OpenEas.FunctionalTests", "Programs", "release_app.py");
        if (!File.Exists(program))
        {
            throw new BenchException($"{program} is missing");
        }

        var loadBefore = Machine.LoadAverage1();
        Console.Error.WriteLine("bench: building and starting the eas server …");
        await using var server = await EasServerProcess.StartAsync(root, ct);
        using var client = new EasClient(server.Endpoint.ToString(), server.AdminToken);
        var main = await CreateAsync(client, Spec("bench_main", program, 0), ct);
        await CreateAsync(client, Spec("bench_mirror", program, options.MirrorDelayMs), ct);

        Console.Error.WriteLine($"bench: warm-up {options.WarmupSeconds} s at {options.Rate} calls/s");
        await RunLoadAsync(client, main.AccessToken, options.Rate, options.WarmupSeconds, ct);

        var off = new List<LoadResult>();
        var on = new List<LoadResult>();
        MirrorTargetReport? mirrored = null;
        for (var round = 1; round <= options.Rounds; round++)
        {
            await client.DisableMirrorAsync("bench_main", ct);
            off.Add(await RunLoadAsync(client, main.AccessToken, options.Rate, options.DurationSeconds, ct));
            Console.Error.WriteLine($"bench: round {round} mirror 0 %: {off[^1]}");

            await client.SetMirrorAsync("bench_main", 100, ["bench_mirror"], ct);
            on.Add(await RunLoadAsync(client, main.AccessToken, options.Rate, options.DurationSeconds, ct));
            var report = (await client.GetMirrorReportAsync("bench_main", ct)).Targets.Single();
            mirrored = report;
            Console.Error.WriteLine($"bench: round {round} mirror 100 %: {on[^1]}; mirrored {report.Mirrored}, dropped {report.Dropped}");
        }

        await client.DisableMirrorAsync("bench_main", ct);
        var report2 = Render(options, root, off, on, mirrored!, loadBefore, Machine.LoadAverage1());
        Console.WriteLine(report2);
        if (options.WritePath is { } path)
        {
            var full = Path.IsPathRooted(path) ? path : Path.GetFullPath(path);
            ResultsFile.ReplaceSection(full, SectionTitle, report2);
            Console.Error.WriteLine($"bench: wrote {full}");
        }

        return off.Concat(on).Sum(r => r.Failed) == 0 ? 0 : 1;
    }

    private static string Spec(string name, string program, int delayMs) => new JsonObject
    {
        ["name"] = name,
        ["containers"] = new JsonArray(new JsonObject
        {
            ["script"] = "exec python3 " + program,
            ["env"] = new JsonArray(new JsonObject { ["name"] = "DELAY_MS", ["value"] = delayMs.ToString(CultureInfo.InvariantCulture) }),
        }),
        ["metadata"] = new JsonObject { ["instance"] = 1, ["cpu"] = 0.1, ["memory"] = 64 },
    }.ToJsonString();

    private static async Task<ServiceDescription> CreateAsync(EasClient client, string spec, CancellationToken ct)
    {
        var created = await client.CreateServiceAsync(spec, ct);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while ((await client.DescribeServiceAsync(created.ServiceName, ct)) is var d && (d.Status != ServiceStates.Running || d.RunningInstance < 1))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new BenchException($"{created.ServiceName} did not reach Running in 60 s: {d.Status} {d.Reason}");
            }

            await Task.Delay(200, ct);
        }

        return created;
    }

    /// <summary>p50/p99 (ms) of one open-loop run, latency measured from each call's intended start.</summary>
    private sealed record LoadResult(double P50, double P99, int Ok, int Failed, IReadOnlyList<string> Failures)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"p50 {P50:0.00} ms, p99 {P99:0.00} ms, {Ok} ok, {Failed} failed");
    }

    private static async Task<LoadResult> RunLoadAsync(EasClient client, string token, int rate, int seconds, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(new string('x', 512));
        var latencies = new List<double>();
        var failed = 0;
        var failures = new List<string>();
        var calls = new List<Task>();
        var started = Stopwatch.GetTimestamp();
        var count = rate * seconds;
        for (var i = 0; i < count; i++)
        {
            var intended = TimeSpan.FromSeconds((double)i / rate);
            var wait = intended - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, ct);
            }

            calls.Add(Task.Run(async () =>
            {
                string? failure;
                try
                {
                    var answer = await client.PredictAsync("bench_main", token, body, timeout: TimeSpan.FromSeconds(30), ct: ct);
                    failure = answer.Status == HttpStatusCode.OK && answer.Body.AsSpan().SequenceEqual(body) ? null
                        : $"{(int)answer.Status} {answer.BodyText[..Math.Min(answer.BodyText.Length, 120)]}";
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    failure = ex.GetType().Name + ": " + ex.Message;
                }

                var ms = (Stopwatch.GetElapsedTime(started) - intended).TotalMilliseconds;
                lock (latencies)
                {
                    if (failure is null)
                    {
                        latencies.Add(ms);
                    }
                    else
                    {
                        failed++;
                        if (failures.Count < 5)
                        {
                            failures.Add(failure);
                        }
                    }
                }
            }, ct));
        }

        await Task.WhenAll(calls);
        var sorted = latencies.Order().ToArray();
        return new LoadResult(Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted.Length, failed, failures);
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Render(ReleaseBenchOptions options, string root, List<LoadResult> off, List<LoadResult> on, MirrorTargetReport mirror,
        double? loadBefore, double? loadAfter)
    {
        var ic = CultureInfo.InvariantCulture;
        var p50Off = Stats.Of(off.Select(r => r.P50).ToList()).Median;
        var p50On = Stats.Of(on.Select(r => r.P50).ToList()).Median;
        var p99Off = Stats.Of(off.Select(r => r.P99).ToList()).Median;
        var p99On = Stats.Of(on.Select(r => r.P99).ToList()).Median;
        var added = p99Off <= 0 ? 0 : (p99On / p99Off) - 1;
        var sb = new StringBuilder();
        sb.AppendLine(SectionTitle).AppendLine();
        ResultsFile.AppendRun(sb, options.CommandLine, root, loadBefore, loadAfter);
        sb.AppendLine(ic, $"- load: open loop, {options.Rate} calls/s of 512 B to `release_app.py` (an echo) through the gateway, {options.DurationSeconds} s per run, {options.Rounds} interleaved rounds (0 %, 100 %, …) after {options.WarmupSeconds} s of warm-up; latency from each call's intended start");
        sb.AppendLine(ic, $"- mirror: every call copied to the same program answering after {options.MirrorDelayMs} ms (16 copies in flight, a queue of 1000: it cannot keep up, so copies are dropped and counted)");
        sb.AppendLine("- server, load generator and both services share the machine's cores");
        ResultsFile.AppendNote(sb, options.Note);
        sb.AppendLine();
        sb.AppendLine("| main calls | mirroring 0 % | mirroring 100 % to a slow mirror | added |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine(ic, $"| p50 (median of rounds) | {p50Off:0.00} ms | {p50On:0.00} ms | {p50On - p50Off:+0.00;-0.00} ms |");
        sb.AppendLine(ic, $"| p99 (median of rounds) | {p99Off:0.00} ms | {p99On:0.00} ms | {added:+0.0%;-0.0%} |");
        sb.AppendLine(ic, $"| rounds (p50 / p99 ms) | {string.Join(", ", off.Select(r => $"{r.P50:0.00}/{r.P99:0.00}"))} | {string.Join(", ", on.Select(r => $"{r.P50:0.00}/{r.P99:0.00}"))} | |");
        sb.AppendLine(ic, $"| calls ok / failed | {off.Sum(r => r.Ok)} / {off.Sum(r => r.Failed)} | {on.Sum(r => r.Ok)} / {on.Sum(r => r.Failed)} | |");
        sb.AppendLine();
        sb.AppendLine(ic, $"- last round's mirror report: {mirror.Mirrored} copies answered (mirror p50 {mirror.MirrorLatency.P50Ms:0} ms), {mirror.Dropped} dropped because the queue was full, {mirror.Failed} failed");
        if (off.Concat(on).SelectMany(r => r.Failures).Take(3).ToList() is { Count: > 0 } seen)
        {
            sb.AppendLine(ic, $"- failed calls: {string.Join("; ", seen)}");
        }

        sb.AppendLine(ic, $"- goal (≤ 5 % added p99, ≤ 1 ms added p50): **{(added <= 0.05 && p50On - p50Off <= 1 ? "met" : "not met")}**");
        return sb.ToString().TrimEnd('\n');
    }
}
