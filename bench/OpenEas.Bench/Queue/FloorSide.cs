using System.Globalization;
using OpenEas.Bench.Gateway;
using OpenEas.Bench.Infrastructure;

namespace OpenEas.Bench.Queue;

/// <summary>
/// One <see cref="PutFloorApp"/> child process under the same wrk load as the OpenEAS servers: what a durable put over HTTP
/// costs on this machine with nothing of OpenEAS's around it (<c>file</c>), and with only its store (<c>sqlite</c>).
/// </summary>
internal sealed class FloorSide(string store, string label, ChildProcess process, Wrk wrk, Uri url, string dir) : IAsyncDisposable
{
    public string Store { get; } = store;

    public string Label { get; } = label;

    public List<PutSample> Samples { get; } = [];

    public static async Task<FloorSide> StartAsync(string store, string label, string workDir, CancellationToken ct)
    {
        var dir = Directory.CreateDirectory(Path.Combine(workDir, "floor-" + store)).FullName;
        var port = Ports.Free();
        var process = ChildProcess.Start("put floor (" + store + ")", "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "OpenEas.Bench.dll"), "put-floor", "--port", port.ToString(CultureInfo.InvariantCulture),
             "--dir", dir, "--store", store]);
        try
        {
            await Ports.WaitListeningAsync(port, TimeSpan.FromSeconds(30), process.Tail, ct);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        var wrk = await Wrk.CreateAsync(dir, QueueScenario.PayloadBytes, "unused", ct);
        return new FloorSide(store, label, process, wrk, new Uri($"http://127.0.0.1:{port}/"), dir);
    }

    public async Task PutsAsync(int connections, int seconds, CancellationToken ct)
    {
        if (seconds > 0)
        {
            await RunWrkAsync(connections, seconds, ct);
            await EmptyAsync(ct);
        }
    }

    /// <summary>Puts/s and CPU at <see cref="QueueBenchOptions.Connections"/>, then the ack latency on one connection (as <see cref="Side"/>).</summary>
    public async Task<PutSample> MeasureAsync(QueueBenchOptions o, CancellationToken ct)
    {
        var (r, cpu, _, busy, _) = await QueueScenario.CpuOfAsync(process.Pid, null, () => RunWrkAsync(o.Connections, o.Seconds, ct));
        await EmptyAsync(ct);
        var probe = await RunWrkAsync(1, o.ProbeSeconds, ct);
        await EmptyAsync(ct);
        return new PutSample(r.Rps, cpu * 1e6 / r.Requests, null, r.CpuSeconds * 1e6 / r.Requests, busy, probe.P50Ms, probe.P99Ms);
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();

    private async Task<WrkResult> RunWrkAsync(int connections, int seconds, CancellationToken ct)
    {
        var r = await wrk.RunAsync(url, connections, seconds, ct);
        if (r.Non2xx > 0 || r.SocketErrors > 0 || r.Requests == 0)
        {
            throw new BenchException($"puts into the {Store} floor: {r.Requests} requests, {r.Non2xx} non-2xx answers, {r.SocketErrors} socket errors\n{process.Tail()}");
        }

        return r;
    }

    private async Task EmptyAsync(CancellationToken ct)
    {
        using var http = new HttpClient();
        using var answer = await http.DeleteAsync(url, ct);
        answer.EnsureSuccessStatusCode();
        if (Store == "sqlite")
        {
            await StoreFiles.SettledAsync(Path.Combine(dir, "queue.db"), ct);
        }
    }
}
