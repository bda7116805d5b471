using System.Collections.Concurrent;
using HdrHistogram;
using OpenEas.Contracts;
using Prometheus;

namespace OpenEas.Core.Metrics;

/// <summary>What the collector knows of a series when a second closes: load gauges and resources.</summary>
public readonly record struct SeriesGauges(int InFlight, int Waiting, int Instances, double CpuPercent, long MemoryBytes);

/// <summary>
/// The metrics hub: every call is recorded once, on the request path, into per-second buckets of its
/// service and instance. Each second the collector closes the last second into a point (QPS, status
/// classes, latency percentiles from an HdrHistogram, bytes, in-flight, CPU, memory); points are kept at
/// 1 s resolution for an hour and 1 min for 7 days, persisted, and exported to Prometheus. Everything that
/// reads load (API, CLI, alerts, autoscaler, stress reports) reads these same series.
/// </summary>
public sealed class MetricsHub
{
    public static readonly TimeSpan SecondRetention = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinuteRetention = TimeSpan.FromDays(7);

    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly ConcurrentDictionary<string, ServiceSeries> _services = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly MetricsStore? _store;
    private readonly List<(string, int, MetricPoint)> _pending = [];
    private readonly Counter _requests;
    private readonly Counter _rejections;
    private readonly Histogram _duration;
    private readonly Counter _bytesIn;
    private readonly Counter _bytesOut;
    private readonly Gauge _inFlight;
    private readonly Gauge _waiting;
    private readonly Gauge _ready;
    private readonly Gauge _instanceCpu;
    private readonly Gauge _instanceMemory;
    private long _lastClosed;

    /// <param name="storePath">The metrics database; null keeps history in memory only.</param>
    public MetricsHub(TimeProvider time, string? storePath)
    {
        _time = time;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("eas_requests_total", "Calls answered, by service and status class.", "service", "code");
        _rejections = factory.CreateCounter("eas_gateway_rejections_total", "Calls the gateway answered itself (auth, limits, no instance).", "service");
        _duration = factory.CreateHistogram("eas_request_duration_seconds", "Call latency through the gateway.",
            new HistogramConfiguration { LabelNames = ["service"], Buckets = LatencyBuckets });
        _bytesIn = factory.CreateCounter("eas_request_bytes_total", "Request body bytes.", "service");
        _bytesOut = factory.CreateCounter("eas_response_bytes_total", "Response body bytes (when announced).", "service");
        _inFlight = factory.CreateGauge("eas_inflight_requests", "Calls being served now.", "service");
        _waiting = factory.CreateGauge("eas_waiting_requests", "Calls waiting for a free instance.", "service");
        _ready = factory.CreateGauge("eas_ready_instances", "Ready instances.", "service");
        _instanceCpu = factory.CreateGauge("eas_instance_cpu_percent", "CPU of an instance, percent of one core.", "service", "instance");
        _instanceMemory = factory.CreateGauge("eas_instance_memory_bytes", "Resident memory of an instance.", "service", "instance");

        if (storePath is not null)
        {
            _store = new MetricsStore(storePath);
            Load();
        }

        _lastClosed = time.GetUtcNow().ToUnixTimeSeconds() - 1;
    }

    /// <summary>
    /// Raised by <see cref="Collect"/> once its points are closed, when it closed at least one new second, with the start of the newest:
    /// readers of the newest points (alerts) see each closed second exactly when it is complete. Handlers must be quick.
    /// </summary>
    public event Action<DateTimeOffset>? SecondClosed;

    /// <summary>The Prometheus registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>
    /// Counts a call that arrived for a service (authenticated, before any limit or queue): the demand the autoscaler's
    /// qps reads, which a queue draining after a scale-up does not inflate.
    /// </summary>
    public void Arrived(string service) => Service(service).Series.Recorder.Arrive(_time.GetUtcNow().ToUnixTimeSeconds());

    /// <summary>Records one call (hot path: no locks, no allocation once the series exist).</summary>
    public void Record(string service, string? instance, int status, bool rejected, TimeSpan elapsed, long bytesIn, long bytesOut)
    {
        var second = _time.GetUtcNow().ToUnixTimeSeconds();
        var micros = (long)(elapsed.Ticks / 10.0);
        var s = Service(service);
        s.Series.Recorder.Record(second, status, rejected, micros, bytesIn, bytesOut);
        if (instance is not null)
        {
            s.Instance(instance).Recorder.Record(second, status, rejected, micros, bytesIn, bytesOut);
        }

        (status < 400 ? s.Ok : status < 500 ? s.ClientError : s.ServerError).Inc();
        if (rejected)
        {
            s.Rejections.Inc();
        }

        s.Duration.Observe(elapsed.TotalSeconds);
        if (bytesIn > 0)
        {
            s.BytesIn.Inc(bytesIn);
        }

        if (bytesOut > 0)
        {
            s.BytesOut.Inc(bytesOut);
        }
    }

    /// <summary>
    /// Closes every whole second up to <paramref name="now"/> into points, with the gauges read now
    /// (keys: service, or <c>service/instance</c>). Called once a second by the collector.
    /// </summary>
    public void Collect(DateTimeOffset now, IReadOnlyDictionary<string, SeriesGauges> gauges)
    {
        var upTo = now.ToUnixTimeSeconds() - 1;
        var from = Math.Max(_lastClosed + 1, upTo - 2); // older slots are gone; the ring holds 4 seconds
        foreach (var (name, gauge) in gauges)
        {
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            var s = Service(slash < 0 ? name : name[..slash]);
            if (slash >= 0)
            {
                s.Instance(name[(slash + 1)..]);
            }
        }

        for (var second = from; second <= upTo; second++)
        {
            foreach (var s in _services.Values)
            {
                var g = gauges.GetValueOrDefault(s.Name);
                Close(s.Name, s.Series, second, g);
                s.InFlightGauge.Set(g.InFlight);
                s.WaitingGauge.Set(g.Waiting);
                s.ReadyGauge.Set(g.Instances);
                foreach (var (instance, series) in s.Instances)
                {
                    var ig = gauges.GetValueOrDefault(s.Name + "/" + instance);
                    Close(s.Name + "/" + instance, series, second, ig);
                    _instanceCpu.WithLabels(s.Name, instance).Set(ig.CpuPercent);
                    _instanceMemory.WithLabels(s.Name, instance).Set(ig.MemoryBytes);
                }
            }
        }

        var closedNew = upTo > _lastClosed;
        _lastClosed = Math.Max(_lastClosed, upTo);
        Forget(now, gauges);
        if (closedNew)
        {
            SecondClosed?.Invoke(DateTimeOffset.FromUnixTimeSeconds(upTo));
        }

        if (_store is not null && (upTo % 5 == 0 || _pending.Count > 5000))
        {
            Flush();
        }
    }

    /// <summary>Writes pending points to disk and drops what is past retention.</summary>
    public void Flush()
    {
        if (_store is null)
        {
            return;
        }

        List<(string, int, MetricPoint)> batch;
        lock (_pending)
        {
            batch = [.. _pending];
            _pending.Clear();
        }

        _store.Save(batch);
        var now = _time.GetUtcNow();
        if (now.Second < 5)
        {
            _store.Prune(MetricsStore.SecondResolution, now - SecondRetention);
            _store.Prune(MetricsStore.MinuteResolution, now - MinuteRetention);
        }
    }

    /// <summary>The points of a service (or one of its instances) in [from, to), at 1 s or 1 min resolution, aggregated to <paramref name="step"/>.</summary>
    public MetricSeries Query(string service, string? instance, DateTimeOffset from, DateTimeOffset to, int step)
    {
        var result = new MetricSeries { Service = service, Instance = instance, Step = step };
        if (!_services.TryGetValue(service, out var s))
        {
            return result;
        }

        Series? series = instance is null ? s.Series : s.Instances.GetValueOrDefault(instance);
        if (series is null)
        {
            return result;
        }

        var useMinutes = step >= 60 || from < _time.GetUtcNow() - SecondRetention;
        var raw = (useMinutes ? series.Minutes : series.Seconds).Range(from, to);
        var resolution = useMinutes ? 60 : 1;
        result.Step = Math.Max(step, resolution);
        result.Points = step <= resolution ? raw : Aggregate(raw, step);
        return result;
    }

    /// <summary>The newest closed second of a series (null before the first).</summary>
    public MetricPoint? Latest(string service, string? instance = null)
    {
        if (!_services.TryGetValue(service, out var s))
        {
            return null;
        }

        return instance is null ? s.Series.Seconds.Latest : s.Instances.GetValueOrDefault(instance)?.Seconds.Latest;
    }

    /// <summary>Calls since the server started: all, 2xx/3xx, 4xx, 5xx, and those the gateway answered itself.</summary>
    public (long Requests, long Success, long ClientErrors, long ServerErrors, long Rejected) Totals(string service)
    {
        if (!_services.TryGetValue(service, out var s))
        {
            return default;
        }

        var ok = (long)s.Ok.Value;
        var client = (long)s.ClientError.Value;
        var server = (long)s.ServerError.Value;
        return (ok + client + server, ok, client, server, (long)s.Rejections.Value);
    }

    /// <summary>The services that have a series.</summary>
    public IReadOnlyCollection<string> Services => [.. _services.Keys];

    private ServiceSeries Service(string name) => _services.GetOrAdd(name, n => new ServiceSeries(n, this));

    private void Close(string key, Series series, long second, SeriesGauges gauges)
    {
        var (requests, arrivals, s2, s4, s5, rejected, bytesIn, bytesOut, latency) = series.Recorder.Read(second);
        var point = new MetricPoint
        {
            Time = DateTimeOffset.FromUnixTimeSeconds(second),
            Requests = requests,
            Arrivals = arrivals,
            Qps = requests,
            Status2xx = s2,
            Status4xx = s4,
            Status5xx = s5,
            Rejected = rejected,
            BytesIn = bytesIn,
            BytesOut = bytesOut,
            InFlight = gauges.InFlight,
            Waiting = gauges.Waiting,
            Instances = gauges.Instances,
            CpuPercent = Math.Round(gauges.CpuPercent, 2),
            MemoryBytes = gauges.MemoryBytes,
        };
        Percentiles(point, latency);
        series.Seconds.Add(point);
        lock (_pending)
        {
            // A second of a new minute closes the one before, even if its :59 was never closed (a stall, a restart).
            if (series.CloseMinuteBefore(second) is { } minute)
            {
                series.Minutes.Add(minute);
                _pending.Add((key, MetricsStore.MinuteResolution, minute));
            }

            series.AddToMinute(point, latency);
            _pending.Add((key, MetricsStore.SecondResolution, point));
            if (second % 60 == 59 && series.CloseMinuteBefore(second + 1) is { } complete)
            {
                series.Minutes.Add(complete);
                _pending.Add((key, MetricsStore.MinuteResolution, complete));
            }
        }
    }

    private static void Percentiles(MetricPoint point, HistogramBase latency)
    {
        if (latency.TotalCount == 0)
        {
            return;
        }

        point.P50Ms = Math.Round(latency.GetValueAtPercentile(50) / 1000.0, 3);
        point.P90Ms = Math.Round(latency.GetValueAtPercentile(90) / 1000.0, 3);
        point.P99Ms = Math.Round(latency.GetValueAtPercentile(99) / 1000.0, 3);
        point.MaxMs = Math.Round(latency.GetMaxValue() / 1000.0, 3);
        point.MeanMs = Math.Round(latency.GetMean() / 1000.0, 3);
    }

    /// <summary>Sums counts over each step; latency percentiles take the worst interval (a conservative reading).</summary>
    private static List<MetricPoint> Aggregate(List<MetricPoint> raw, int step)
    {
        var list = new List<MetricPoint>();
        foreach (var group in raw.GroupBy(p => p.Time.ToUnixTimeSeconds() / step))
        {
            var points = group.ToList();
            var seconds = points.Sum(p => p.Seconds);
            var requests = points.Sum(p => p.Requests);
            list.Add(new MetricPoint
            {
                Time = DateTimeOffset.FromUnixTimeSeconds(group.Key * step),
                Seconds = step,
                Requests = requests,
                Arrivals = points.Sum(p => p.Arrivals),
                Qps = Math.Round(requests / (double)Math.Max(1, seconds), 3),
                Status2xx = points.Sum(p => p.Status2xx),
                Status4xx = points.Sum(p => p.Status4xx),
                Status5xx = points.Sum(p => p.Status5xx),
                Rejected = points.Sum(p => p.Rejected),
                BytesIn = points.Sum(p => p.BytesIn),
                BytesOut = points.Sum(p => p.BytesOut),
                P50Ms = points.Max(p => p.P50Ms),
                P90Ms = points.Max(p => p.P90Ms),
                P99Ms = points.Max(p => p.P99Ms),
                MaxMs = points.Max(p => p.MaxMs),
                MeanMs = requests == 0 ? 0 : Math.Round(points.Sum(p => p.MeanMs * p.Requests) / requests, 3),
                InFlight = points.Max(p => p.InFlight),
                Waiting = points.Max(p => p.Waiting),
                Instances = points[^1].Instances,
                CpuPercent = Math.Round(points.Average(p => p.CpuPercent), 2),
                MemoryBytes = points.Max(p => p.MemoryBytes),
            });
        }

        return list;
    }

    /// <summary>Drops series of instances and services that have been gone for the whole second retention.</summary>
    private void Forget(DateTimeOffset now, IReadOnlyDictionary<string, SeriesGauges> gauges)
    {
        foreach (var s in _services.Values)
        {
            foreach (var instance in s.Instances.Keys)
            {
                if (gauges.ContainsKey(s.Name + "/" + instance))
                {
                    s.Instances[instance].SeenAt = now;
                }
                else if (now - s.Instances[instance].SeenAt > SecondRetention && s.Instances.TryRemove(instance, out _))
                {
                    _instanceCpu.RemoveLabelled(s.Name, instance);
                    _instanceMemory.RemoveLabelled(s.Name, instance);
                }
            }

            if (gauges.ContainsKey(s.Name))
            {
                s.Series.SeenAt = now;
            }
            else if (now - s.Series.SeenAt > SecondRetention && s.Instances.IsEmpty && _services.TryRemove(s.Name, out _))
            {
                foreach (var code in new[] { "2xx", "4xx", "5xx" })
                {
                    _requests.RemoveLabelled(s.Name, code);
                }

                _rejections.RemoveLabelled(s.Name);
                _duration.RemoveLabelled(s.Name);
                _bytesIn.RemoveLabelled(s.Name);
                _bytesOut.RemoveLabelled(s.Name);
                _inFlight.RemoveLabelled(s.Name);
                _waiting.RemoveLabelled(s.Name);
                _ready.RemoveLabelled(s.Name);
            }
        }
    }

    private void Load()
    {
        var now = _time.GetUtcNow();
        foreach (var (resolution, retention) in new[] { (MetricsStore.MinuteResolution, MinuteRetention), (MetricsStore.SecondResolution, SecondRetention) })
        {
            foreach (var (key, point) in _store!.Load(resolution, now - retention))
            {
                var slash = key.IndexOf('/', StringComparison.Ordinal);
                var s = Service(slash < 0 ? key : key[..slash]);
                var series = slash < 0 ? s.Series : s.Instance(key[(slash + 1)..]);
                (resolution == MetricsStore.MinuteResolution ? series.Minutes : series.Seconds).Add(point);
            }
        }
    }

    /// <summary>One series: its live recorder, its history, and the minute being accumulated.</summary>
    private sealed class Series(string service, string? instance, DateTimeOffset seenAt)
    {
        private LongHistogram _minuteLatency = SeriesRecorder.NewHistogram();
        private readonly List<MetricPoint> _minute = [];

        public SeriesRecorder Recorder { get; } = new(service, instance);
        public PointRing Seconds { get; } = new((int)SecondRetention.TotalSeconds);
        public PointRing Minutes { get; } = new((int)MinuteRetention.TotalMinutes);
        public DateTimeOffset SeenAt { get; set; } = seenAt;

        public void AddToMinute(MetricPoint point, HistogramBase latency)
        {
            _minute.Add(point);
            _minuteLatency.Add(latency);
        }

        /// <summary>Closes the minute being accumulated if <paramref name="second"/> belongs to a later one.</summary>
        public MetricPoint? CloseMinuteBefore(long second)
        {
            if (_minute.Count == 0 || _minute[0].Time.ToUnixTimeSeconds() / 60 == second / 60)
            {
                return null;
            }

            var start = _minute[0].Time.ToUnixTimeSeconds() / 60 * 60;
            var minute = Aggregate(_minute, 60)[0];
            minute.Time = DateTimeOffset.FromUnixTimeSeconds(start);
            minute.Seconds = 60;
            minute.Qps = Math.Round(minute.Requests / 60.0, 3);
            minute.P50Ms = minute.P90Ms = minute.P99Ms = minute.MaxMs = 0;
            Percentiles(minute, _minuteLatency);
            _minute.Clear();
            _minuteLatency = SeriesRecorder.NewHistogram();
            return minute;
        }
    }

    /// <summary>A service's series, its instances' series, and its cached Prometheus children.</summary>
    private sealed class ServiceSeries
    {
        private readonly MetricsHub _hub;

        public ServiceSeries(string name, MetricsHub hub)
        {
            Name = name;
            _hub = hub;
            Series = new Series(name, null, hub._time.GetUtcNow());
            Ok = hub._requests.WithLabels(name, "2xx");
            ClientError = hub._requests.WithLabels(name, "4xx");
            ServerError = hub._requests.WithLabels(name, "5xx");
            Rejections = hub._rejections.WithLabels(name);
            Duration = hub._duration.WithLabels(name);
            BytesIn = hub._bytesIn.WithLabels(name);
            BytesOut = hub._bytesOut.WithLabels(name);
            InFlightGauge = hub._inFlight.WithLabels(name);
            WaitingGauge = hub._waiting.WithLabels(name);
            ReadyGauge = hub._ready.WithLabels(name);
        }

        public string Name { get; }
        public Series Series { get; }
        public ConcurrentDictionary<string, Series> Instances { get; } = new(StringComparer.Ordinal);
        public Counter.Child Ok { get; }
        public Counter.Child ClientError { get; }
        public Counter.Child ServerError { get; }
        public Counter.Child Rejections { get; }
        public Histogram.Child Duration { get; }
        public Counter.Child BytesIn { get; }
        public Counter.Child BytesOut { get; }
        public Gauge.Child InFlightGauge { get; }
        public Gauge.Child WaitingGauge { get; }
        public Gauge.Child ReadyGauge { get; }

        public Series Instance(string instance) =>
            Instances.TryGetValue(instance, out var s) ? s : Instances.GetOrAdd(instance, i => new Series(Name, i, _hub._time.GetUtcNow()));
    }
}
