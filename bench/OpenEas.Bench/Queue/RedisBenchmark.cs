using System.Globalization;
using OpenEas.Bench.Gateway;
using OpenEas.Bench.Infrastructure;

namespace OpenEas.Bench.Queue;

/// <summary>What one redis-benchmark run reported: requests/s, its 50 % and 99 % latencies, and its own CPU time.</summary>
internal sealed record RedisBenchmarkResult(double Rps, double P50Ms, double P99Ms, double CpuSeconds);

/// <summary>
/// The baseline: <c>redis-benchmark</c> XADDs of a fixed-size field into one stream (capped near 100 000 entries, so
/// memory stays flat) on the bench's redis-server with <c>appendfsync always</c>: every acknowledged XADD is on disk.
/// </summary>
internal sealed class RedisBenchmark(RedisServer redis, int payloadBytes)
{
    private const string Stream = "benchq";

    public async Task<RedisBenchmarkResult> RunAsync(int clients, int requests, CancellationToken ct)
    {
        var lines = new List<string>();
        // Through sh so its `times` can report redis-benchmark's CPU time after it exits.
        await using (var run = ChildProcess.Start("redis-benchmark", "sh",
        [
            "-c", "redis-benchmark \"$@\"; s=$?; times; exit $s", "redis-benchmark",
            "-h", "127.0.0.1", "-p", redis.Port.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
            "-n", requests.ToString(CultureInfo.InvariantCulture), "--csv", "XADD", Stream, "MAXLEN", "~", "100000", "*", "d", new string('x', payloadBytes),
        ], onLine: line =>
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }))
        {
            await run.WaitForExitAsync(ct);
            // The output is read asynchronously: the exit can be seen before the last lines arrive.
            await Task.Delay(100, ct);
            if (run.ExitCode != 0)
            {
                throw new BenchException($"redis-benchmark exited with code {run.ExitCode}:\n{run.Tail()}");
            }
        }

        string text;
        lock (lines)
        {
            text = string.Join('\n', lines);
        }

        return Parse(text) ?? throw new BenchException("could not read redis-benchmark's CSV output:\n" + text);
    }

    /// <summary>The closed loop at <see cref="QueueBenchOptions.Connections"/>, then one connection for the latency of a single XADD.</summary>
    public async Task<PutSample> MeasureAsync(QueueBenchOptions o, CancellationToken ct)
    {
        var (r, _, redisCpu, busy, _) = await QueueScenario.CpuOfAsync(null, redis.Pid, () => RunAsync(o.Connections, o.Items, ct));
        var requests = (double)o.Items;
        // About one fsync per XADD on one connection: a few hundred per second.
        var probe = await RunAsync(1, Math.Max(200, o.ProbeSeconds * 300), ct);
        return new PutSample(r.Rps, null, redisCpu * 1e6 / requests, r.CpuSeconds * 1e6 / requests, busy, probe.P50Ms, probe.P99Ms);
    }

    /// <summary>A benchmark whose commands failed would look fast: the stream must hold the XADDs.</summary>
    public Task CheckStoredAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var length = redis.Cli("XLEN", Stream)?.Trim();
        if (!long.TryParse(length, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n == 0)
        {
            throw new BenchException($"after the runs, redis-server holds no XADDs in \"{Stream}\" (XLEN: {length ?? "failed"})");
        }

        return Task.CompletedTask;
    }

    /// <summary>Reads the CSV (header <c>"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",…,"p99_latency_ms",…</c>) and <c>times</c>.</summary>
    internal static RedisBenchmarkResult? Parse(string output)
    {
        string[]? header = null;
        foreach (var line in output.Split('\n'))
        {
            var cells = line.Trim().Split(',');
            if (cells.Length < 2)
            {
                continue;
            }

            for (var i = 0; i < cells.Length; i++)
            {
                cells[i] = cells[i].Trim('"');
            }

            if (cells[0] == "test")
            {
                header = cells;
            }
            else if (header is not null && cells[0].StartsWith("XADD", StringComparison.Ordinal))
            {
                double Cell(string name) => Array.IndexOf(header, name) is var i and >= 0 && i < cells.Length
                    && double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
                var result = new RedisBenchmarkResult(Cell("rps"), Cell("p50_latency_ms"), Cell("p99_latency_ms"), Wrk.ChildrenCpuSeconds(output));
                return double.IsNaN(result.Rps) || double.IsNaN(result.P50Ms) || double.IsNaN(result.P99Ms) ? null : result;
            }
        }

        return null;
    }
}
