using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OpenEas.Bench.Infrastructure;
using OpenEas.Client;

namespace OpenEas.Bench.Gateway;

/// <summary>Settings of one <c>gateway</c> run.</summary>
internal sealed record GatewayOptions(
    int Rounds, int Seconds, int ProbeSeconds, int DotnetWarmupSeconds, int Connections, int BodyBytes, string? WritePath, string? Note, string CommandLine);

/// <summary>One thing wrk is pointed at; <see cref="ProxyCpu"/> is null for the direct row.</summary>
internal sealed record GatewayTarget(string Key, string Label, Uri Url, Func<double>? ProxyCpu, int WarmupSeconds);

/// <summary>One round of one target: saturation (c=N) and the one-connection probe, with CPU spent per request.</summary>
/// <remarks><see cref="OtherCores"/>: the machine's busy time minus the proxy's, the upstream's and wrk's, over the run — what else was running.</remarks>
internal sealed record GatewaySample(
    WrkResult Saturated, WrkResult Probe, double? ProxyCpuUsPerRequest, double UpstreamCpuUsPerRequest, double MachineBusyCores, double OtherCores);

/// <summary>
/// wrk against the same upstream instance (a) directly, (b) through nginx, (c) through a bare YARP forwarder and
/// (d) through OpenEAS's gateway, interleaved round by round in one run.
/// </summary>
internal static class GatewayScenario
{
    public const string SectionTitle = "## Gateway (wrk, 2 KB POST, keep-alive)";
    public const double AddedP50GoalMs = 0.3;

    public static async Task<int> RunAsync(GatewayOptions options, CancellationToken ct)
    {
        var root = RepoPaths.FindRoot();
        foreach (var tool in new[] { "wrk", "nginx" })
        {
            if (!RepoPaths.HasCommand(root, tool))
            {
                throw new BenchException($"{tool} is not installed: run bench/gateway/run.sh (it installs wrk and nginx with apt-get)");
            }
        }

        var benchDll = Path.Combine(AppContext.BaseDirectory, "OpenEas.Bench.dll");
        var loadBefore = Machine.LoadAverage1();
        var work = Directory.CreateTempSubdirectory("openeas-bench-gateway-");
        try
        {
            Console.Error.WriteLine("bench: building and starting the eas server …");
            await using var server = await EasServerProcess.StartAsync(root, ct);
            Console.Error.WriteLine($"bench: eas server pid {server.Pid} on {server.Endpoint}");
            using var client = new EasClient(server.Endpoint.ToString(), server.AdminToken);

            var service = "gwbench_" + Convert.ToHexString(BitConverter.GetBytes(Environment.TickCount64))[..6].ToLowerInvariant();
            var created = await client.CreateServiceAsync(Spec(service, benchDll), ct);
            var predictUrl = new Uri(server.Endpoint, $"api/predict/{service}");
            var instance = await WaitReadyAsync(client, service, created.AccessToken, server, ct);
            var upstreamPid = instance.Pid ?? throw new BenchException($"instance {instance.InstanceName} has no pid");
            var upstreamUrl = new Uri($"http://127.0.0.1:{instance.Port}/");
            Console.Error.WriteLine($"bench: service {service} ready; its instance (pid {upstreamPid}) listens on {upstreamUrl}");

            await using var nginx = await NginxProxy.StartAsync(instance.Port, ct);
            Console.Error.WriteLine($"bench: nginx pid {nginx.Pid} on 127.0.0.1:{nginx.Port}");

            var yarpPort = Ports.Free();
            await using var yarp = ChildProcess.Start("yarp forwarder", "dotnet",
                [benchDll, "yarp", "--port", yarpPort.ToString(CultureInfo.InvariantCulture), "--to", upstreamUrl.ToString()]);
            await Ports.WaitListeningAsync(yarpPort, TimeSpan.FromSeconds(30), yarp.Tail, ct);
            Console.Error.WriteLine($"bench: bare YARP forwarder pid {yarp.Pid} on 127.0.0.1:{yarpPort}");

            var wrk = await Wrk.CreateAsync(work.FullName, options.BodyBytes, created.AccessToken, ct);
            var targets = new[]
            {
                new GatewayTarget("direct", "(a) direct to the instance", upstreamUrl, null, 5),
                new GatewayTarget("nginx", "(b) nginx 1.22, 1 worker, keepalive 64", new Uri($"http://127.0.0.1:{nginx.Port}/"),
                    () => ProcStat.CpuSeconds(nginx.Pid, withDescendants: true), 5),
                new GatewayTarget("yarp", "(d) bare YARP `IHttpForwarder` app", new Uri($"http://127.0.0.1:{yarpPort}/"),
                    () => ProcStat.CpuSeconds(yarp.Pid, withDescendants: false), options.DotnetWarmupSeconds),
                new GatewayTarget("openeas", "(c) OpenEAS `/api/predict/<svc>`", predictUrl,
                    () => ProcStat.CpuSeconds(server.Pid, withDescendants: false), options.DotnetWarmupSeconds),
            };

            foreach (var t in targets)
            {
                if (t.WarmupSeconds > 0)
                {
                    Console.Error.WriteLine($"bench: warm-up {t.Key} {t.WarmupSeconds} s at c={options.Connections}");
                    var w = await wrk.RunAsync(t.Url, options.Connections, t.WarmupSeconds, ct);
                    CheckAnswers(t, w);
                }
            }

            var samples = targets.ToDictionary(t => t.Key, _ => new List<GatewaySample>());
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var t in targets)
                {
                    var s = await MeasureAsync(wrk, t, upstreamPid, options, ct);
                    samples[t.Key].Add(s);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"bench: round {round}/{options.Rounds} {t.Key,-7}: c={options.Connections} {s.Saturated.Rps,9:0} rps p50 {s.Saturated.P50Ms:0.000} ms p99 {s.Saturated.P99Ms:0.000} ms; c=1 p50 {s.Probe.P50Ms:0.000} ms; machine busy {s.MachineBusyCores:0.00} cores, others {s.OtherCores:0.00}"));
                }
            }

            var report = Render(options, root, targets, samples, loadBefore, Machine.LoadAverage1());
            ResultsFile.Publish(report, SectionTitle, options.WritePath);

            return 0;
        }
        finally
        {
            TempDir.DeleteQuietly(work);
        }
    }

    /// <summary>The upstream as an OpenEAS service: this very bench binary in <c>upstream</c> mode on <c>$PORT</c>.</summary>
    internal static string Spec(string name, string benchDll) => new JsonObject
    {
        ["name"] = name,
        ["containers"] = new JsonArray(new JsonObject
        {
            ["script"] = $"exec dotnet '{benchDll}' upstream --port $PORT",
            ["port"] = 8000,
        }),
        ["metadata"] = new JsonObject { ["instance"] = 1, ["cpu"] = 1, ["memory"] = 256 },
    }.ToJsonString();

    internal static async Task<OpenEas.Contracts.InstanceInfo> WaitReadyAsync(EasClient client, string service, string token, EasServerProcess server, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var body = new byte[16];
        var last = "no attempt";
        while (DateTime.UtcNow < deadline)
        {
            var r = await client.PredictAsync(service, token, body, timeout: TimeSpan.FromSeconds(5), ct: ct);
            if (r.Status == HttpStatusCode.OK)
            {
                var instances = await client.ListInstancesAsync(service, ct);
                if (instances.Count == 1 && instances[0].Ready)
                {
                    return instances[0];
                }

                last = $"{instances.Count} instances";
            }
            else
            {
                last = $"{(int)r.Status} {r.BodyText}";
            }

            await Task.Delay(100, ct);
        }

        throw new BenchException($"service {service} did not answer a predict within 60 s (last: {last}); server output:\n{server.Tail()}");
    }

    private static async Task<GatewaySample> MeasureAsync(Wrk wrk, GatewayTarget t, int upstreamPid, GatewayOptions options, CancellationToken ct)
    {
        var proxyBefore = t.ProxyCpu?.Invoke();
        var upstreamBefore = ProcStat.CpuSeconds(upstreamPid, withDescendants: false);
        var machineBefore = ProcStat.MachineBusySeconds();
        var saturated = await wrk.RunAsync(t.Url, options.Connections, options.Seconds, ct);
        var machineBusy = ProcStat.MachineBusySeconds() - machineBefore;
        var upstream = ProcStat.CpuSeconds(upstreamPid, withDescendants: false) - upstreamBefore;
        double? proxy = t.ProxyCpu is { } cpu && proxyBefore is { } before ? cpu() - before : null;
        var other = Math.Max(0, machineBusy - upstream - (proxy ?? 0) - saturated.CpuSeconds) / saturated.Seconds;
        CheckAnswers(t, saturated);
        var probe = await wrk.RunAsync(t.Url, 1, options.ProbeSeconds, ct);
        CheckAnswers(t, probe);
        return new GatewaySample(saturated, probe, proxy * 1e6 / saturated.Requests, upstream * 1e6 / saturated.Requests,
            machineBusy / saturated.Seconds, other);
    }

    /// <summary>A proxy that answers errors fast would look fast: any non-2xx or socket error fails the run.</summary>
    private static void CheckAnswers(GatewayTarget t, WrkResult r)
    {
        if (r.Non2xx > 0 || r.SocketErrors > 0 || r.Requests == 0)
        {
            throw new BenchException($"{t.Key} ({t.Url}): {r.Requests} requests, {r.Non2xx} non-2xx answers, {r.SocketErrors} socket errors");
        }
    }

    private static string Render(GatewayOptions options, string root, GatewayTarget[] targets, Dictionary<string, List<GatewaySample>> samples,
        double? loadBefore, double? loadAfter)
    {
        var ic = CultureInfo.InvariantCulture;
        double Med(string key, Func<GatewaySample, double> f) => Stats.Of(samples[key].Select(f).ToList()).Median;
        double? MedOpt(string key, Func<GatewaySample, double?> f) =>
            samples[key].All(s => f(s) is not null) ? Stats.Of(samples[key].Select(s => f(s)!.Value).ToList()).Median : null;

        var c = options.Connections;
        var sb = new StringBuilder();
        sb.AppendLine(SectionTitle).AppendLine();
        ResultsFile.AppendRun(sb, options.CommandLine, root, loadBefore, loadAfter);
        sb.AppendLine(ic, $"- load: wrk 4.1 `-t1 -c{c} -d{options.Seconds}s` (closed loop, throughput at saturation), then `-t1 -c1 -d{options.ProbeSeconds}s` (one connection, no queueing: the proxy's own latency); POST of {options.BodyBytes} bytes with the service token, keep-alive; any non-2xx answer or socket error fails the run");
        sb.AppendLine(ic, $"- upstream: one instance of `OpenEas.Bench.dll upstream` (Kestrel, reads the body, answers 200 `ok`) deployed as an OpenEAS service; all rows hit that same process");
        sb.AppendLine(ic, $"- procedure: warm-up at c={c}: OpenEAS and YARP {options.DotnetWarmupSeconds} s each, direct and nginx 5 s each; then {options.Rounds} interleaved rounds (direct, nginx, YARP, OpenEAS, …); medians over rounds");
        sb.AppendLine("- layout: no pinning (`taskset` not used): wrk (1 thread), the proxy under test and the upstream shared both cores, the same way for every row; the idle proxies stayed up");
        sb.AppendLine("- CPU columns: user+system CPU time of the proxy's process(es) (nginx: master+worker) and of the upstream during the c=" + c.ToString(ic) + " run, divided by the requests served; \"machine busy\" is all cores' busy time over the run's wall time (2.00 = both cores full); \"others\" is that minus the proxy, the upstream and wrk: the cores taken by anything else running (other builds and tests, the eas server's background work)");
        ResultsFile.AppendNote(sb, options.Note);

        sb.AppendLine();
        sb.AppendLine(ic, $"| target | RPS c={c} | p50 ms c={c} | p99 ms c={c} | p50 ms c=1 | p99 ms c=1 | proxy CPU µs/req | upstream CPU µs/req | machine busy (cores) | others (cores) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var t in targets.OrderBy(t => t.Label, StringComparer.Ordinal))
        {
            var k = t.Key;
            var proxyCpu = MedOpt(k, s => s.ProxyCpuUsPerRequest);
            sb.AppendLine(ic,
                $"| {t.Label} | {Med(k, s => s.Saturated.Rps):0} | {Med(k, s => s.Saturated.P50Ms):0.000} | {Med(k, s => s.Saturated.P99Ms):0.000} | {Med(k, s => s.Probe.P50Ms):0.000} | {Med(k, s => s.Probe.P99Ms):0.000} | {(proxyCpu is { } pc ? pc.ToString("0.0", ic) : "—")} | {Med(k, s => s.UpstreamCpuUsPerRequest):0.0} | {Med(k, s => s.MachineBusyCores):0.00} | {Med(k, s => s.OtherCores):0.00} |");
        }

        var openRps = Med("openeas", s => s.Saturated.Rps);
        var nginxRps = Med("nginx", s => s.Saturated.Rps);
        var yarpRps = Med("yarp", s => s.Saturated.Rps);
        var directRps = Med("direct", s => s.Saturated.Rps);
        var directP50 = Med("direct", s => s.Probe.P50Ms);
        var added = Med("openeas", s => s.Probe.P50Ms) - directP50;
        var addedNginx = Med("nginx", s => s.Probe.P50Ms) - directP50;
        var addedYarp = Med("yarp", s => s.Probe.P50Ms) - directP50;
        var rpsMet = openRps >= nginxRps;
        var latMet = added <= AddedP50GoalMs;

        sb.AppendLine();
        sb.AppendLine(ic, $"**OpenEAS / nginx RPS (c={c}): {openRps / nginxRps:0.00}×**; OpenEAS / bare YARP {openRps / yarpRps:0.00}×; bare YARP / nginx {yarpRps / nginxRps:0.00}×; nginx / direct {nginxRps / directRps:0.00}×.");
        sb.AppendLine(ic, $"**Added p50 over direct at c=1: OpenEAS {added:+0.000;-0.000} ms**; nginx {addedNginx:+0.000;-0.000} ms; bare YARP {addedYarp:+0.000;-0.000} ms.");
        sb.AppendLine();
        sb.AppendLine(ic, $"- Goal OpenEAS RPS ≥ nginx RPS: **{(rpsMet ? "met" : "not met")}** ({openRps:0} vs {nginxRps:0}).");
        sb.AppendLine(ic, $"- Goal added p50 over direct ≤ {AddedP50GoalMs:0.0} ms (c=1): **{(latMet ? "met" : "not met")}** ({added:0.000} ms).");
        sb.AppendLine();
        sb.Append(ic, $"Rounds (RPS c={c}):");
        foreach (var t in targets)
        {
            sb.Append(ic, $" {t.Key} {string.Join(", ", samples[t.Key].Select(s => s.Saturated.Rps.ToString("0", ic)))};");
        }

        sb.Length--;
        sb.AppendLine(".");
        sb.Append("Rounds (p50 ms c=1):");
        foreach (var t in targets)
        {
            sb.Append(ic, $" {t.Key} {string.Join(", ", samples[t.Key].Select(s => s.Probe.P50Ms.ToString("0.000", ic)))};");
        }

        sb.Length--;
        sb.AppendLine(".");
        return sb.ToString().TrimEnd('\n');
    }
}
