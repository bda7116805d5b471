using System.Diagnostics;
using System.Globalization;
using OpenEas.Bench.Gateway;
using OpenEas.Bench.Infrastructure;
using OpenEas.Client;
using OpenEas.Client.Queue;

namespace OpenEas.Bench.Queue;

/// <summary>
/// One OpenEAS server and its two async services: <c>qput</c> without instances (puts stay in its queue, so a put's cost is
/// the queue's alone) and <c>qecho</c> with one instance of the echo example (put → result).
/// </summary>
internal sealed class Side(string name, EasServerProcess server, RedisServer? redis)
{
    private Wrk? _wrk;
    private string _putToken = "";
    private string _echoToken = "";

    public string Name { get; } = name;

    public string Label => redis is null ? "embedded queue (SQLite)" : "Redis Streams backend";

    public List<PutSample> Samples { get; } = [];

    public List<double> Latencies { get; set; } = [];

    private Uri PutUrl => new(server.Endpoint, "api/predict/qput");

    public async Task PrepareAsync(string root, string workDir, CancellationToken ct)
    {
        using var client = new EasClient(server.Endpoint.ToString(), server.AdminToken);
        var app = Path.Combine(root, "examples", "echo-py", "app.py");
        _putToken = (await client.CreateServiceAsync("""
            { "name": "qput", "containers": [{ "script": "exec sleep infinity" }],
              "metadata": { "instance": 0, "type": "Async" }, "queue": { "max_length": 100000000 } }
            """, ct)).AccessToken;
        _echoToken = (await client.CreateServiceAsync($$"""
            { "name": "qecho", "containers": [{ "script": "exec python3 {{app}}" }],
              "metadata": { "instance": 1, "cpu": 0.1, "memory": 64, "type": "Async" }, "queue": { "window": 4 } }
            """, ct)).AccessToken;
        _wrk = await Wrk.CreateAsync(Directory.CreateDirectory(Path.Combine(workDir, Name)).FullName, QueueScenario.PayloadBytes, _putToken, ct);
        var deadline = Stopwatch.StartNew();
        while ((await client.DescribeServiceAsync("qecho", ct)).RunningInstance < 1)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new BenchException($"the echo service on the {Name} server did not start within 60 s:\n{server.Tail()}");
            }

            await Task.Delay(200, ct);
        }
    }

    /// <summary>A closed loop of <paramref name="connections"/> wrk connections for <paramref name="seconds"/>, then the queue is emptied.</summary>
    public async Task PutsAsync(int connections, int seconds, CancellationToken ct)
    {
        if (seconds > 0)
        {
            await RunWrkAsync(connections, seconds, ct);
            await EmptyAsync(ct);
        }
    }

    /// <summary>Puts/s and CPU at <see cref="QueueBenchOptions.Connections"/>, then the ack latency on one connection.</summary>
    public async Task<PutSample> MeasureAsync(QueueBenchOptions o, CancellationToken ct)
    {
        var (r, serverCpu, redisCpu, busy, _) = await QueueScenario.CpuOfAsync(server.Pid, redis?.Pid, () => RunWrkAsync(o.Connections, o.Seconds, ct));
        await EmptyAsync(ct);
        var probe = await RunWrkAsync(1, o.ProbeSeconds, ct);
        await EmptyAsync(ct);
        return new PutSample(r.Rps, serverCpu * 1e6 / r.Requests, redis is null ? null : redisCpu * 1e6 / r.Requests, r.CpuSeconds * 1e6 / r.Requests,
            busy, probe.P50Ms, probe.P99Ms);
    }

    /// <summary>Put → result in the sink, one item at a time; milliseconds. The first 20 warm up.</summary>
    public async Task<List<double>> LatencyAsync(int payloadBytes, int items, CancellationToken ct)
    {
        var payload = new byte[payloadBytes];
        Array.Fill(payload, (byte)'x');
        using var input = new QueueClient(server.Endpoint.ToString(), "qecho", _echoToken);
        using var sink = new QueueClient(server.Endpoint.ToString(), "qecho/sink", _echoToken);
        var result = new List<double>(items);
        for (var i = 0; i < items + 20; i++)
        {
            var requestId = "lat-" + i.ToString(CultureInfo.InvariantCulture);
            var watch = Stopwatch.StartNew();
            await input.PutAsync(payload, new Dictionary<string, string> { ["requestId"] = requestId }, ct);
            while (true)
            {
                var found = await sink.GetAsync(0, 1, TimeSpan.FromSeconds(5), autoDelete: true, requestId: requestId, ct: ct);
                if (found.Count > 0)
                {
                    var status = found[0].Tags.TryGetValue("status", out var s) ? s : "none";
                    if (status != "200")
                    {
                        throw new BenchException($"the {Name} server's echo answered {requestId} with status {status}: {found[0].Message}");
                    }

                    break;
                }

                if (watch.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new BenchException($"no result for {requestId} in the {Name} server's sink within 30 s:\n{server.Tail()}");
                }
            }

            if (i >= 20)
            {
                result.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        return result;
    }

    private async Task<WrkResult> RunWrkAsync(int connections, int seconds, CancellationToken ct)
    {
        var r = await _wrk!.RunAsync(PutUrl, connections, seconds, ct);
        // A queue answering errors fast would look fast.
        if (r.Non2xx > 0 || r.SocketErrors > 0 || r.Requests == 0)
        {
            throw new BenchException($"puts into the {Name} server: {r.Requests} requests, {r.Non2xx} non-2xx answers, {r.SocketErrors} socket errors\n{server.Tail()}");
        }

        return r;
    }

    /// <summary>
    /// Empties the put queue, so every run starts from the same size. Then one put, whose answer comes once the store is
    /// past the truncation's own work (giving the space back), so the next run does not wait for it.
    /// </summary>
    private async Task EmptyAsync(CancellationToken ct)
    {
        using var queue = new QueueClient(server.Endpoint.ToString(), "qput", _putToken);
        var last = long.Parse((await queue.AttributesAsync(ct))["stream.lastEntry"], CultureInfo.InvariantCulture);
        await queue.TruncateAsync(last + 1, ct);
        await queue.PutAsync(new byte[QueueScenario.PayloadBytes], ct: ct);
        if (redis is null)
        {
            await StoreFiles.SettledAsync(Path.Combine(server.DataDir, "queues", "queue.db"), ct);
        }
    }
}
