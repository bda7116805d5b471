using System.Globalization;
using OpenEas.Bench.Gateway;
using OpenEas.Bench.Infrastructure;

namespace OpenEas.Bench.Queue;

/// <summary>
/// One <see cref="PutFloorApp"/> child process under the same wrk load as the OpenEAS servers: what a durable put over HTTP
/// costs on this machine with nothing of OpenEAS's around it (<c>file</c>), and with only its store (<c>sqlite</c>).
/// </summary>
internal sealed class FloorSide : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly Wrk _wrk;
    private readonly Uri _url;
    private readonly string _dir;

    private FloorSide(string store, string label, ChildProcess process, Wrk wrk, Uri url, string dir)
    {
        Store = store;
        Label = label;
        _process = process;
        _wrk = wrk;
        _url = url;
        _dir = dir;
    }

    public string Store { get; }

    public string Label { get; }

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
        var (r, cpu, _, busy, _) = await QueueScenario.CpuOfAsync(_process.Pid, null, () => RunWrkAsync(o.Connections, o.Seconds, ct));
        await EmptyAsync(ct);
        var probe = await RunWrkAsync(1, o.ProbeSeconds, ct);
        await EmptyAsync(ct);
        return new PutSample(r.Rps, cpu * 1e6 / r.Requests, null, r.CpuSeconds * 1e6 / r.Requests, busy, probe.P50Ms, probe.P99Ms);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private async Task<WrkResult> RunWrkAsync(int connections, int seconds, CancellationToken ct)
    {
        var r = await _wrk.RunAsync(_url, connections, seconds, ct);
        if (r.Non2xx > 0 || r.SocketErrors > 0 || r.Requests == 0)
        {
            throw new BenchException($"puts into the {Store} floor: {r.Requests} requests, {r.Non2xx} non-2xx answers, {r.SocketErrors} socket errors\n{_process.Tail()}");
        }

        return r;
    }

    private async Task EmptyAsync(CancellationToken ct)
    {
        using var http = new HttpClient();
        using var answer = await http.DeleteAsync(_url, ct);
        answer.EnsureSuccessStatusCode();
        if (Store == "sqlite")
        {
            await StoreFiles.SettledAsync(Path.Combine(_dir, "queue.db"), ct);
        }
    }
}
