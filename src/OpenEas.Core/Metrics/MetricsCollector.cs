using Microsoft.Extensions.Hosting;
using OpenEas.Core.Reconcile;
using OpenEas.Core.Routing;

namespace OpenEas.Core.Metrics;

/// <summary>
/// Once a second: samples each instance's CPU and memory from /proc, reads in-flight and waiting calls
/// from the gateway's route table (for an async service, waiting = its input queue's length: the backlog),
/// and has the hub close the second.
/// </summary>
public sealed class MetricsCollector : BackgroundService
{
    private readonly MetricsHub _hub;
    private readonly RouteTable _routes;
    private readonly Reconciler _reconciler;
    private readonly TimeProvider _time;
    private readonly ProcessSampler _sampler;
    private readonly Queue.IQueueStore? _queues;

    public MetricsCollector(MetricsHub hub, RouteTable routes, Reconciler reconciler, TimeProvider time, Queue.IQueueStore? queues = null)
    {
        _queues = queues;
        _hub = hub;
        _routes = routes;
        _reconciler = reconciler;
        _time = time;
        _sampler = new ProcessSampler(time);
    }

    /// <summary>One collection now (the loop's body; tests call it with a fake clock).</summary>
    public void CollectOnce()
    {
        var gauges = new Dictionary<string, SeriesGauges>(StringComparer.Ordinal);
        foreach (var (name, route) in _routes.Snapshot)
        {
            var inFlight = 0;
            foreach (var e in route.Endpoints)
            {
                inFlight += e.InFlight;
            }

            // An async service's waiting calls are its backlog: the entries in its input queue (in flight included).
            var waiting = route.Policy.Queue is not null && _queues is not null
                ? (int)Math.Min(_queues.Stats(name).Length, int.MaxValue)
                : route.Gate.Waiting;
            gauges[name] = new SeriesGauges(inFlight, waiting, route.Endpoints.Length, 0, 0);
        }

        var live = _reconciler.LiveInstances();
        var resources = _sampler.Sample([.. live.Select(l => l.Pid)]);
        foreach (var (service, instance, pid) in live)
        {
            var (cpu, rss) = resources.GetValueOrDefault(pid);
            gauges[service + "/" + instance] = new SeriesGauges(_routes.InFlight(instance), 0, 1, cpu, rss);
            var s = gauges.GetValueOrDefault(service);
            gauges[service] = s with { CpuPercent = s.CpuPercent + cpu, MemoryBytes = s.MemoryBytes + rss };
        }

        _hub.Collect(_time.GetUtcNow(), gauges);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Just after each second boundary, so the second that ended is complete.
            var now = _time.GetUtcNow();
            var next = TimeSpan.FromMilliseconds(1000 - now.Millisecond + 20);
            try
            {
                await Task.Delay(next, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                CollectOnce();
            }
            catch (Exception ex) when (ex is IOException or Microsoft.Data.Sqlite.SqliteException)
            {
                // A busy disk costs one second of history, never the loop.
            }
        }

        _hub.Flush();
    }
}
