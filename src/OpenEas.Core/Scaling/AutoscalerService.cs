using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Metrics;
using OpenEas.Core.Reconcile;
using OpenEas.Core.Store;

namespace OpenEas.Core.Scaling;

/// <summary>
/// Once a second, for every running service with an <c>autoscaler</c>: reads the last minute of its load from
/// the metrics hub, asks <see cref="Autoscaler.Decide"/>, and applies a changed count (with the reason as an event).
/// </summary>
public sealed class AutoscalerService : BackgroundService, Routing.IZeroActivator
{
    private readonly EasStore _store;
    private readonly ServiceManager _services;
    private readonly Reconciler _reconciler;
    private readonly MetricsHub _metrics;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, AutoscalerState> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _activating = new(StringComparer.Ordinal);

    public AutoscalerService(EasStore store, ServiceManager services, Reconciler reconciler, MetricsHub metrics, TimeProvider time)
    {
        _store = store;
        _services = services;
        _reconciler = reconciler;
        _metrics = metrics;
        _time = time;
    }

    /// <summary>The last decisions per service (newest last), for <c>desc</c>.</summary>
    public ConcurrentDictionary<string, List<(DateTimeOffset Time, string Reason)>> Decisions { get; } = new(StringComparer.Ordinal);

    /// <summary>A call found the service at zero: start its activation replicas now, without waiting for the next second.</summary>
    public void Activate(string service)
    {
        var record = _store.GetService(service);
        if (record is null || record.DesiredInstances > 0 || record.Stopped
            || EffectiveAutoscaler.Resolve(record, _reconciler.SpecFor(service, record.CurrentVersion)) is not { Min: 0 } spec)
        {
            return;
        }

        var state = _states.GetOrAdd(service, _ => new AutoscalerState());
        state.LastTraffic = _time.GetUtcNow();
        _activating[service] = true;
        _services.Autoscale(service, Math.Min(spec.ActivationReplicas, spec.Max), "a call arrived at zero instances: 0 → " + Math.Min(spec.ActivationReplicas, spec.Max));
    }

    public void Activated(string service, TimeSpan coldStart)
    {
        // Reported once per activation, by the first held call that gets through.
        if (_activating.TryRemove(service, out _) && _store.GetService(service) is not null)
        {
            _store.AddEvent(service, _time.GetUtcNow(), "Normal", "ColdStart",
                $"started from zero in {coldStart.TotalMilliseconds:0} ms; the held calls went on");
        }
    }

    /// <summary>One round of decisions (the loop's body; tests drive it with a fake clock).</summary>
    public void DecideOnce()
    {
        var now = _time.GetUtcNow();
        foreach (var service in _store.ListServices())
        {
            var spec = service.Stopped || service.Status is ServiceStates.Deleting ? null : _reconciler.SpecFor(service.Name, service.CurrentVersion);
            var autoscaler = spec is null ? null : EffectiveAutoscaler.Resolve(service, spec);
            var cron = spec is null ? null : EffectiveAutoscaler.ResolveCron(service, spec);
            if (autoscaler is null && cron is null)
            {
                _states.TryRemove(service.Name, out _);
                continue;
            }

            var state = _states.GetOrAdd(service.Name, _ => new AutoscalerState());
            var floor = cron is null ? null : CronScaler.Floor(cron, now);
            int desired;
            string reason;
            var eventReason = "Autoscaled";
            if (autoscaler is not null)
            {
                var window = TimeSpan.FromSeconds(Math.Max(autoscaler.StableWindowSeconds, autoscaler.PanicWindowSeconds));
                var points = _metrics.Query(service.Name, null, now - window, now, 1).Points;
                // qps is the arrival rate (demand), not the answer rate, which overshoots while a queue drains after a scale-up.
                // backlog: an async service's waiting calls are the entries in its input queue.
                var isAsync = spec!.IsAsync;
                var samples = points.Select(p => new LoadSample(p.Time, p.Instances, p.Arrivals > 0 ? p.Arrivals : p.Requests, p.InFlight, p.CpuPercent,
                        isAsync ? p.Waiting : 0))
                    .ToList();
                var decision = Autoscaler.Decide(autoscaler, samples, service.DesiredInstances, state, now);
                (desired, reason) = (decision.Desired, decision.Reason);
                if (floor is { } f && f.Floor > desired)
                {
                    (desired, reason, eventReason) = (f.Floor, $"scheduled floor {f.Floor} from cron job {f.Job} (fired {f.FiredAt:u}): {service.DesiredInstances} → {f.Floor}", "CronScaled");
                }
            }
            else if (!state.CronSeen)
            {
                // A schedule acts on firings from now on: one that fired before it was set is not replayed.
                state.CronSeen = true;
                state.CronApplied = floor?.FiredAt;
                continue;
            }
            else if (floor is { } f && state.CronApplied != f.FiredAt)
            {
                // Without an autoscaler a job sets the count once when it fires; the user may change it afterwards.
                state.CronApplied = f.FiredAt;
                (desired, reason, eventReason) = (f.Floor, $"cron job {f.Job} fired at {f.FiredAt:u}: {service.DesiredInstances} → {f.Floor}", "CronScaled");
            }
            else
            {
                continue;
            }

            if (desired != service.DesiredInstances)
            {
                _services.Autoscale(service.Name, desired, reason, eventReason);
                var log = Decisions.GetOrAdd(service.Name, _ => []);
                lock (log)
                {
                    log.Add((now, reason));
                    if (log.Count > 20)
                    {
                        log.RemoveAt(0);
                    }
                }
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Just after the metrics collector closed the second.
            var now = _time.GetUtcNow();
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1000 - now.Millisecond + 60), _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                DecideOnce();
            }
            catch (Exception ex) when (ex is ControlException or Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // A service deleted meanwhile, or a busy disk: the next second decides again.
            }
        }
    }
}
