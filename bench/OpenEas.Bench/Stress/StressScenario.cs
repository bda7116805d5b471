using System.Globalization;
using System.Text;
using System.Text.Json;
using OpenEas.Bench.Gateway;
using OpenEas.Bench.Infrastructure;
using OpenEas.Client;
using OpenEas.Contracts;

namespace OpenEas.Bench.Stress;

/// <summary>Settings of one <c>stress</c> run.</summary>
internal sealed record StressBenchOptions(int Rounds, int Seconds, int Warmup, int Connections, int BodyBytes, string Core, string? WritePath,
    string? Note, string CommandLine);

/// <summary>One generator run: what it reached and the CPU it used.</summary>
internal sealed record GeneratorSample(double Rps, double P50Ms, double P99Ms, long Requests, long Errors, double Seconds, double CpuSeconds);

/// <summary>
/// OpenEAS's load generator (<c>eas bench</c>) against wrk, both pinned to the same single core, through the same OpenEAS
/// gateway to the same fast upstream service, interleaved in one run: closed loop with the same connections for the
/// maximum RPS each generator can drive, then <c>eas bench</c> open loop at 0.8× and 0.6× wrk's rate to check it sustains them.
/// </summary>
internal static class StressScenario
{
    public const string SectionTitle = "## Stress generator (eas bench vs wrk)";
    public const double Goal = 0.8;

    /// <summary>A second open-loop rate, as a share of wrk's RPS, well under saturation.</summary>
    public const double LowShare = 0.6;

    public static async Task<int> RunAsync(StressBenchOptions options, CancellationToken ct)
    {
        var root = RepoPaths.FindRoot();
        foreach (var tool in new[] { "wrk", "taskset" })
        {
            if (RepoPaths.Run(root, "sh", "-c", $"command -v {tool}") is null)
            {
                throw new BenchException($"{tool} is not installed: run bench/stress/run.sh (it installs wrk with apt-get)");
            }
        }

        var benchDll = Path.Combine(AppContext.BaseDirectory, "OpenEas.Bench.dll");
        var loadBefore = Machine.LoadAverage1();
        var work = Directory.CreateTempSubdirectory("openeas-bench-stress-");
        try
        {
            Console.Error.WriteLine("bench: building and starting the eas server …");
            await using var server = await EasServerProcess.StartAsync(root, ct);
            var easDll = Path.Combine(root, ".build", "eas", "eas.dll");
            using var client = new EasClient(server.Endpoint.ToString(), server.AdminToken);
            var service = "stressbench_" + Convert.ToHexString(BitConverter.GetBytes(Environment.TickCount64))[..6].ToLowerInvariant();
            var created = await client.CreateServiceAsync(GatewayScenario.Spec(service, benchDll), ct);
            var instance = await GatewayScenario.WaitReadyAsync(client, service, created.AccessToken, server, ct);
            Console.Error.WriteLine($"bench: service {service} ready (upstream pid {instance.Pid}); eas server pid {server.Pid}");
            var url = new Uri(server.Endpoint, $"api/predict/{service}");
            var wrk = await Wrk.CreateAsync(work.FullName, options.BodyBytes, created.AccessToken, ct);
            var bodyFile = Path.Combine(work.FullName, "body.bin");
            await File.WriteAllBytesAsync(bodyFile, Encoding.ASCII.GetBytes(new string('x', options.BodyBytes)), ct);

            async Task<GeneratorSample> WrkAsync(int seconds)
            {
                var r = await RunWrkAsync(work.FullName, url, options, seconds, ct);
                return new GeneratorSample(r.Rps, r.P50Ms, r.P99Ms, r.Requests, r.Non2xx + r.SocketErrors, r.Seconds, r.CpuSeconds);
            }

            Task<StressReport> EasAsync(string[] mode, int seconds) =>
                RunEasBenchAsync(easDll, server, service, created.AccessToken, bodyFile, mode, seconds, options, work.FullName, ct);

            if (options.Warmup > 0)
            {
                Console.Error.WriteLine($"bench: warm-up {options.Warmup} s with wrk, then 5 s with eas bench");
                await WrkAsync(options.Warmup);
                await EasAsync(["--concurrency", options.Connections.ToString(CultureInfo.InvariantCulture)], 5);
            }

            var wrkRounds = new List<GeneratorSample>();
            var easRounds = new List<GeneratorSample>();
            for (var round = 1; round <= options.Rounds; round++)
            {
                var w = await WrkAsync(options.Seconds);
                wrkRounds.Add(w);
                var e = Sample(await EasAsync(["--concurrency", options.Connections.ToString(CultureInfo.InvariantCulture)], options.Seconds));
                easRounds.Add(e);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"bench: round {round}/{options.Rounds}: wrk {w.Rps:0} rps (cpu {w.CpuSeconds / w.Seconds:0.00} cores), eas bench {e.Rps:0} rps (cpu {e.CpuSeconds / e.Seconds:0.00} cores, {e.Errors} errors)"));
            }

            var wrkRps = Stats.Of(wrkRounds.Select(s => s.Rps).ToList()).Median;
            var openRate = Math.Floor(wrkRps * Goal);
            var lowRate = Math.Floor(wrkRps * LowShare);
            var open = new List<(double Rate, StressReport Report)>();
            foreach (var rate in new[] { openRate, lowRate })
            {
                Console.Error.WriteLine($"bench: open loop at {rate} calls/s for {options.Seconds} s");
                open.Add((rate, await EasAsync(["--rps", rate.ToString(CultureInfo.InvariantCulture), "--max-outstanding", "5000",
                    "--connections", options.Connections.ToString(CultureInfo.InvariantCulture)], options.Seconds)));
            }

            var report = Render(options, root, wrkRounds, easRounds, open, loadBefore, Machine.LoadAverage1());
            ResultsFile.Publish(report, SectionTitle, options.WritePath);

            return 0;
        }
        finally
        {
            TempDir.DeleteQuietly(work);
        }
    }

    private static GeneratorSample Sample(StressReport r) =>
        new(r.Summary.AchievedQps, r.Summary.P50Ms, r.Summary.P99Ms, r.Summary.Sent, r.Summary.Errors, r.Summary.Seconds, r.Summary.ProcessCpuSeconds);

    private static async Task<WrkResult> RunWrkAsync(string dir, Uri url, StressBenchOptions options, int seconds, CancellationToken ct)
    {
        var lines = new List<string>();
        await using var process = ChildProcess.Start("wrk", "sh",
            ["-c", "taskset -c \"$0\" wrk \"$@\"; s=$?; times; exit $s", options.Core,
             "-t1", $"-c{options.Connections}", $"-d{seconds}s", "--timeout", "5s", "--latency", "-s", Path.Combine(dir, "post.lua"), url.ToString()],
            onLine: line =>
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            });
        await WaitAsync(process, "wrk", seconds, ct);
        await Task.Delay(100, ct); // output is read asynchronously
        string text;
        lock (lines)
        {
            text = string.Join('\n', lines);
        }

        var r = Wrk.Parse(text) ?? throw new BenchException($"could not read wrk's output:\n{text}");
        if (process.ExitCode != 0 || r.Non2xx > 0 || r.SocketErrors > 0)
        {
            throw new BenchException($"wrk: exit {process.ExitCode}, {r.Non2xx} non-2xx, {r.SocketErrors} socket errors:\n{text}");
        }

        return r;
    }

    /// <summary>Runs <c>eas bench … --json</c> pinned to the core, as a user would, and reads its JSON report.</summary>
    private static async Task<StressReport> RunEasBenchAsync(string easDll, EasServerProcess server, string service, string token, string bodyFile,
        string[] mode, int seconds, StressBenchOptions options, string dir, CancellationToken ct)
    {
        var output = Path.Combine(dir, "eas-bench.json");
        await using var process = ChildProcess.Start("eas bench", "sh",
            ["-c", "out=\"$1\"; core=\"$2\"; shift 2; taskset -c \"$core\" dotnet \"$@\" > \"$out\"", "sh", output, options.Core, easDll, "bench", service,
             "--data", "@" + bodyFile, "--duration", $"{seconds}s", "--json", "--no-report", "--token", token,
             "--endpoint", server.Endpoint.ToString(), "--admin-token", server.AdminToken, .. mode]);
        await WaitAsync(process, "eas bench", seconds, ct);
        if (process.ExitCode != 0)
        {
            throw new BenchException($"eas bench exited {process.ExitCode}:\n{process.Tail()}");
        }

        var report = JsonSerializer.Deserialize(await File.ReadAllTextAsync(output, ct), EasJsonContext.Default.StressReport)
            ?? throw new BenchException("eas bench printed no report");
        return report;
    }

    private static async Task WaitAsync(ChildProcess process, string what, int seconds, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(seconds + 40));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new BenchException($"{what} did not finish within {seconds + 40} s:\n{process.Tail()}");
        }
    }

    private static string Render(StressBenchOptions options, string root, List<GeneratorSample> wrk, List<GeneratorSample> eas,
        List<(double Rate, StressReport Report)> open, double? loadBefore, double? loadAfter)
    {
        var ic = CultureInfo.InvariantCulture;
        double Med(List<GeneratorSample> s, Func<GeneratorSample, double> f) => Stats.Of(s.Select(f).ToList()).Median;
        var wrkRps = Med(wrk, s => s.Rps);
        var easRps = Med(eas, s => s.Rps);
        var easCores = Med(eas, s => s.CpuSeconds / s.Seconds);
        var ratio = easRps / wrkRps;
        static bool Sustained(double rate, StressSummary o) => o.AchievedQps >= 0.97 * rate && o.Errors == 0;
        var c = options.Connections;
        var sb = new StringBuilder();
        sb.AppendLine(SectionTitle).AppendLine();
        ResultsFile.AppendRun(sb, options.CommandLine, root, loadBefore, loadAfter);
        sb.AppendLine(ic, $"- target: one OpenEAS server, one service whose instance is `OpenEas.Bench.dll upstream` (Kestrel, answers 200 `ok`); both generators call `/api/predict/<svc>` through the gateway with the service token, POST of {options.BodyBytes} bytes, keep-alive");
        sb.AppendLine(ic, $"- layout: each generator pinned to core {options.Core} (`taskset -c {options.Core}`); the eas server and the upstream not pinned (they share both cores, the same way for both generators)");
        sb.AppendLine(ic, $"- procedure: warm-up {options.Warmup} s of wrk and 5 s of eas bench; {options.Rounds} interleaved rounds of `wrk -t1 -c{c} -d{options.Seconds}s` and `eas bench --concurrency {c} --duration {options.Seconds}s` (closed loop, max RPS); medians; then `eas bench --rps R --connections {c}` (open loop) for {options.Seconds} s at R = {Goal:0.0}× and {LowShare:0.0}× wrk's median");
        sb.AppendLine("- generator CPU: wrk's user+system time from the shell's `times`; eas bench's own `processCpuSeconds` (its process's CPU over the run, start-up excluded), over the run's wall time");
        ResultsFile.AppendNote(sb, options.Note);

        sb.AppendLine();
        sb.AppendLine("| generator | mode | RPS (median) | p50 ms | p99 ms | errors | generator CPU (cores) |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        sb.AppendLine(ic, $"| wrk 4.1 | closed loop, c={c} | {wrkRps:0} | {Med(wrk, s => s.P50Ms):0.00} | {Med(wrk, s => s.P99Ms):0.00} | {wrk.Sum(s => s.Errors)} | {Med(wrk, s => s.CpuSeconds / s.Seconds):0.00} |");
        sb.AppendLine(ic, $"| eas bench | closed loop, c={c} | {easRps:0} | {Med(eas, s => s.P50Ms):0.00} | {Med(eas, s => s.P99Ms):0.00} | {eas.Sum(s => s.Errors)} | {easCores:0.00} |");
        foreach (var (rate, r) in open)
        {
            var o = r.Summary;
            sb.AppendLine(ic, $"| eas bench | open loop, {rate:0}/s | {o.AchievedQps:0} | {o.P50Ms:0.00} | {o.P99Ms:0.00} | {o.Errors} | {o.ProcessCpuSeconds / Math.Max(o.Seconds, 0.001):0.00} |");
        }

        sb.AppendLine();
        sb.AppendLine(ic, $"**eas bench / wrk max RPS: {ratio:0.00}×** with {easCores:0.00} cores (pinned to one).");
        sb.AppendLine();
        sb.AppendLine(ic, $"- Goal eas bench ≥ {Goal:0.0}× wrk's max RPS with ≤ 1 core: **{(ratio >= Goal && easCores <= 1.0 ? "met" : "not met")}** ({easRps:0} vs {wrkRps:0}).");
        foreach (var (rate, r) in open)
        {
            var o = r.Summary;
            sb.AppendLine(ic, $"- Open loop at {rate / wrkRps:0.0}× wrk ({rate:0}/s) = {rate / easRps:0.00}× the closed-loop max sustained (achieved ≥ 97 % of offered, no errors): **{(Sustained(rate, o) ? "yes" : "no")}** (achieved {o.AchievedQps:0}/s, {o.Errors} errors of which {o.Dropped} dropped over the 5000-outstanding cap, generator {o.ProcessCpuSeconds / Math.Max(o.Seconds, 0.001):0.00} cores).");
        }

        sb.AppendLine("- Open-loop latencies count from each call's intended send time, so they include any queueing the server causes: near saturation they grow without bound, as users would see.");
        sb.AppendLine();
        sb.AppendLine(ic, $"Rounds (RPS): wrk {string.Join(", ", wrk.Select(s => s.Rps.ToString("0", ic)))}; eas bench {string.Join(", ", eas.Select(s => s.Rps.ToString("0", ic)))}.");
        return sb.ToString().TrimEnd('\n');
    }
}
