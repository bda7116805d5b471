using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenEas.Bench.Gateway;
using OpenEas.Bench.Infrastructure;

namespace OpenEas.Bench.Queue;

/// <summary>What <c>queue</c> was asked to do.</summary>
internal sealed record QueueBenchOptions(int Rounds, int Seconds, int ProbeSeconds, int Warmup, int Connections, int Items, int LatencyItems,
    string? WritePath, string? Note, string Command);

/// <summary>One target's measurements in one round.</summary>
/// <param name="ServerCpuUsPerPut">CPU of the eas server per acknowledged put (null for the baseline).</param>
/// <param name="RedisCpuUsPerPut">CPU of redis-server per put or XADD (null for the embedded queue).</param>
/// <param name="GeneratorCpuUsPerPut">CPU of the load generator (wrk, redis-benchmark) per put.</param>
internal sealed record PutSample(double PutsPerSecond, double? ServerCpuUsPerPut, double? RedisCpuUsPerPut, double GeneratorCpuUsPerPut,
    double MachineBusyCores, double AckP50Ms, double AckP99Ms);

/// <summary>
/// Durable 1 KB puts: OpenEAS's embedded queue (SQLite WAL, group commit) and its Redis Streams backend, each through the
/// queue protocol over HTTP, against <c>redis-benchmark</c> XADD of 1 KB on a redis-server with <c>appendfsync always</c>
/// (the durability-equal baseline). Both generators are C programs with the same number of connections in a closed loop:
/// wrk for HTTP, redis-benchmark for RESP. Then put → result latency through an async echo service on each backend.
/// </summary>
internal static class QueueScenario
{
    public const string SectionTitle = "## Queue (durable 1 KB puts, put → result)";
    /// <summary>The size of every put: 1 KB.</summary>
    public const int PayloadBytes = 1024;

    public static async Task<int> RunAsync(QueueBenchOptions options, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new BenchException("the queue bench needs Linux (/proc for CPU times, the embedded store's file settings)");
        }

        var root = RepoPaths.FindRoot();
        var loadBefore = Machine.LoadAverage1();
        var work = Directory.CreateTempSubdirectory("openeas-bench-queue-");
        try
        {
            await using var redis = await RedisServer.StartAsync(work.FullName, ct);
            await using var embedded = await EasServerProcess.StartAsync(root, ct);
            await using var clustered = await EasServerProcess.StartAsync(root, ct, "--queue", redis.Url);
            var sides = new[] { new Side("embedded", embedded, null), new Side("redis", clustered, redis) };
            foreach (var side in sides)
            {
                await side.PrepareAsync(root, work.FullName, ct);
            }

            await using var fileFloor = await FloorSide.StartAsync("file", "floor: one Kestrel endpoint appending to a file, group fsync (no database, nothing of OpenEAS)", work.FullName, ct);
            await using var storeFloor = await FloorSide.StartAsync("sqlite", "floor: one Kestrel endpoint into the embedded store (no gateway, no queue protocol)", work.FullName, ct);
            var floors = new[] { fileFloor, storeFloor };

            var baseline = new RedisBenchmark(redis, PayloadBytes);
            Console.Error.WriteLine($"bench: warm-up {options.Warmup} s per OpenEAS server and floor, {options.Items / 10} XADDs");
            foreach (var side in sides)
            {
                await side.PutsAsync(options.Connections, options.Warmup, ct);
            }

            foreach (var floor in floors)
            {
                await floor.PutsAsync(options.Connections, options.Warmup, ct);
            }

            await baseline.RunAsync(options.Connections, options.Items / 10, ct);

            var store = new List<double>();
            var xadds = new List<PutSample>();
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var side in sides)
                {
                    var sample = await side.MeasureAsync(options, ct);
                    side.Samples.Add(sample);
                    Console.Error.WriteLine($"bench: round {round} OpenEAS {side.Name}: {sample.PutsPerSecond:0} puts/s, ack p50 {sample.AckP50Ms:0.00} ms at c=1");
                }

                var xadd = await baseline.MeasureAsync(options, ct);
                xadds.Add(xadd);
                Console.Error.WriteLine($"bench: round {round} redis-benchmark XADD: {xadd.PutsPerSecond:0}/s, p50 {xadd.AckP50Ms:0.00} ms at c=1");

                var alone = await StoreAlone.PutsPerSecondAsync(PayloadBytes, options.Connections, options.Seconds, ct);
                store.Add(alone);
                Console.Error.WriteLine($"bench: round {round} embedded store in-process: {alone:0} puts/s");

                foreach (var floor in floors)
                {
                    var sample = await floor.MeasureAsync(options, ct);
                    floor.Samples.Add(sample);
                    Console.Error.WriteLine($"bench: round {round} {floor.Store} floor: {sample.PutsPerSecond:0} puts/s");
                }
            }

            await baseline.CheckStoredAsync(ct);
            foreach (var side in sides)
            {
                side.Latencies = await side.LatencyAsync(PayloadBytes, options.LatencyItems, ct);
            }

            var report = Render(options, root, redis.Version, sides, floors, xadds, store, loadBefore, Machine.LoadAverage1());
            ResultsFile.Publish(report, SectionTitle, options.WritePath);

            return 0;
        }
        finally
        {
            TempDir.DeleteQuietly(work);
        }
    }

    private static string Render(QueueBenchOptions o, string root, string redisVersion, Side[] sides, FloorSide[] floors, List<PutSample> xadds, List<double> store,
        double? loadBefore, double? loadAfter)
    {
        var ic = CultureInfo.InvariantCulture;
        var c = o.Connections;
        var sb = new StringBuilder();
        sb.AppendLine(SectionTitle);
        sb.AppendLine();
        ResultsFile.AppendRun(sb, o.Command, root, loadBefore, loadAfter);
        sb.AppendLine(ic, $"- targets: two `eas server`s, one with the embedded queue (SQLite WAL, `synchronous=FULL`, group commit), one with `--queue redis://…`; one redis-server {redisVersion} (`appendonly yes`, `appendfsync always`, no RDB, no AOF rewrite) on 127.0.0.1 in a temp dir serves the second server and the baseline");
        sb.AppendLine(ic, $"- puts: `wrk -t1 -c{c} -d{o.Seconds}s` POST of {PayloadBytes} bytes with the service token to `/api/predict/<svc>` (an async service with no instance, so nothing consumes; every 200 is a durable put; any other answer fails the run); baseline `redis-benchmark -c {c} -n {o.Items} XADD benchq MAXLEN ~ 100000 * d <{PayloadBytes} bytes>`; both closed loops, throughput at saturation; queues truncated after each run (the embedded store's files left to stop shrinking first)");
        sb.AppendLine(ic, $"- floors (what a durable put over HTTP costs here without OpenEAS's work): `OpenEas.Bench.dll put-floor`, a Kestrel app with one endpoint (no routing, auth, metrics or queue protocol; same runtime settings as eas) that reads the body and answers its index once durable: `file` appends everything waiting in one write and fsyncs it (group commit, no database); `sqlite` puts into OpenEAS's embedded store (same WAL, group commit, fsync) with a time-ordered requestId; same wrk load");
        sb.AppendLine(ic, $"- put ack latency: the same with one connection (`wrk -c1 -d{o.ProbeSeconds}s`, `redis-benchmark -c 1`), so no queueing: one durable commit per put");
        sb.AppendLine(ic, $"- put → result: {o.LatencyItems} items one after another (put with a requestId, then a long-poll GET of the sink for that requestId, which must hold status 200) through an async service running `examples/echo-py/app.py` (window 4), after 20 uncounted");
        sb.AppendLine(ic, $"- procedure: warm-up {o.Warmup} s per OpenEAS server and {o.Items / 10} XADDs; {o.Rounds} interleaved rounds (embedded, redis backend, redis-benchmark, store alone, the two floors); medians over rounds. Nothing pinned: generators, servers and redis-server share both cores the same way for every row");
        sb.AppendLine("- CPU columns: user+system time of the process during the c=N run over the puts acknowledged (eas server or floor app, redis-server; the generator's from the shell's `times`); machine busy = all cores' busy time over the run's wall time (2.00 = both cores full; other sessions' work included)");
        ResultsFile.AppendNote(sb, o.Note);

        var baseRate = Med(xadds, s => s.PutsPerSecond);
        sb.AppendLine();
        sb.AppendLine(ic, $"| target | durable puts/s c={c} | vs XADD | ack p50 ms c=1 | ack p99 ms c=1 | put → result p50 ms | p99 ms | server CPU µs/put | redis-server CPU µs/put | generator CPU µs/put | machine busy (cores) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var side in sides)
        {
            var s = side.Samples;
            var lat = side.Latencies.Order().ToArray();
            var rate = Med(s, x => x.PutsPerSecond);
            sb.AppendLine(ic, $"| OpenEAS {side.Label} (HTTP, wrk) | {rate:0} | {rate / baseRate:0.00}× | {Med(s, x => x.AckP50Ms):0.00} | {Med(s, x => x.AckP99Ms):0.00} | {Pct(lat, 0.5):0.0} | {Pct(lat, 0.99):0.0} | {Med(s, x => x.ServerCpuUsPerPut ?? 0):0} | {MedOrDash(s, x => x.RedisCpuUsPerPut)} | {Med(s, x => x.GeneratorCpuUsPerPut):0} | {Med(s, x => x.MachineBusyCores):0.00} |");
        }

        sb.AppendLine(ic, $"| redis-benchmark XADD (RESP, appendfsync always) | {baseRate:0} | 1.00× | {Med(xadds, x => x.AckP50Ms):0.00} | {Med(xadds, x => x.AckP99Ms):0.00} | – | – | – | {MedOrDash(xadds, x => x.RedisCpuUsPerPut)} | {Med(xadds, x => x.GeneratorCpuUsPerPut):0} | {Med(xadds, x => x.MachineBusyCores):0.00} |");
        foreach (var floor in floors)
        {
            var s = floor.Samples;
            var rate = Med(s, x => x.PutsPerSecond);
            sb.AppendLine(ic, $"| {floor.Label} (HTTP, wrk) | {rate:0} | {rate / baseRate:0.00}× | {Med(s, x => x.AckP50Ms):0.00} | {Med(s, x => x.AckP99Ms):0.00} | – | – | {Med(s, x => x.ServerCpuUsPerPut ?? 0):0} | – | {Med(s, x => x.GeneratorCpuUsPerPut):0} | {Med(s, x => x.MachineBusyCores):0.00} |");
        }

        var alone = Stats.Of(store).Median;
        sb.AppendLine(ic, $"| embedded store alone, in this process ({c} tasks, no HTTP; same commit and fsync) | {alone:0} | {alone / baseRate:0.00}× | – | – | – | – | – | – | – | – |");
        sb.AppendLine();
        var embeddedRate = Med(sides[0].Samples, x => x.PutsPerSecond);
        sb.AppendLine(ic, $"Goal (embedded durable puts/s ≥ redis-benchmark XADD with `appendfsync always`): **{(embeddedRate >= baseRate ? "met" : "not met")}** ({embeddedRate:0} vs {baseRate:0}, {embeddedRate / baseRate:0.00}×).");
        sb.AppendLine();
        sb.Append("Rounds (puts/s): ");
        foreach (var side in sides)
        {
            sb.Append(ic, $"OpenEAS {side.Name} {Join(side.Samples.Select(x => x.PutsPerSecond))}; ");
        }

        sb.Append(ic, $"redis-benchmark {Join(xadds.Select(x => x.PutsPerSecond))}; store alone {Join(store)}");
        foreach (var floor in floors)
        {
            sb.Append(ic, $"; {floor.Store} floor {Join(floor.Samples.Select(x => x.PutsPerSecond))}");
        }

        sb.AppendLine(".");
        return sb.ToString();
    }

    private static double Med(List<PutSample> samples, Func<PutSample, double> f) => Stats.Of(samples.Select(f).ToList()).Median;

    private static string MedOrDash(List<PutSample> samples, Func<PutSample, double?> f) =>
        samples.All(s => f(s) is not null) ? Stats.Of(samples.Select(s => f(s)!.Value).ToList()).Median.ToString("0", CultureInfo.InvariantCulture) : "–";

    private static string Join(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString("0", CultureInfo.InvariantCulture)));

    private static double Pct(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>Measures a closed-loop run: the generator's result plus the CPU the given processes spent on it.</summary>
    internal static async Task<(T Result, double ServerCpu, double RedisCpu, double MachineBusy, double Seconds)> CpuOfAsync<T>(int? serverPid,
        int? redisPid, Func<Task<T>> run)
    {
        var server = serverPid is { } s ? ProcStat.CpuSeconds(s, withDescendants: false) : 0;
        var redis = redisPid is { } r ? ProcStat.CpuSeconds(r, withDescendants: false) : 0;
        var machine = ProcStat.MachineBusySeconds();
        var watch = Stopwatch.StartNew();
        var result = await run();
        var seconds = watch.Elapsed.TotalSeconds;
        return (result,
            serverPid is { } s2 ? ProcStat.CpuSeconds(s2, withDescendants: false) - server : 0,
            redisPid is { } r2 ? ProcStat.CpuSeconds(r2, withDescendants: false) - redis : 0,
            (ProcStat.MachineBusySeconds() - machine) / seconds,
            seconds);
    }
}
