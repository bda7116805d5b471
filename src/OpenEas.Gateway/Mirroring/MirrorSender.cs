using System.Collections.Concurrent;
using System.Threading.Channels;
using HdrHistogram;
using Microsoft.Extensions.Hosting;
using OpenEas.Contracts;
using OpenEas.Core.Metrics;
using OpenEas.Core.Routing;
using OpenEas.Gateway.Balancing;

namespace OpenEas.Gateway.Mirroring;

/// <summary>
/// Sends copies of live calls to mirror targets in the background. The gateway only offers a copy to a bounded queue
/// (never waiting); when the queue is full the copy is dropped and counted, so a slow mirror can never slow the
/// callers of the main service. A few workers send the copies straight to the target's Ready instances and compare
/// each answer with the main one for the report.
/// </summary>
public sealed class MirrorSender : BackgroundService
{
    /// <summary>Copies waiting at most; beyond this they are dropped.</summary>
    public const int QueueCapacity = 1000;

    /// <summary>Copies in flight at once.</summary>
    public const int Workers = 16;

    /// <summary>Larger request (or main answer) bodies are not copied (or not compared).</summary>
    public const int MaxBody = 1024 * 1024;

    private const int ExampleBytes = 300;
    private const int MaxExamples = 5;

    private readonly Channel<MirrorCall> _queue = Channel.CreateBounded<MirrorCall>(new BoundedChannelOptions(QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = false,
        SingleWriter = false,
    });

    private readonly ConcurrentDictionary<(string Source, string Target), MirrorStats> _stats = new();
    private readonly RouteTable _routes;
    private readonly MetricsHub _metrics;
    private readonly TimeProvider _time;
    private readonly HttpMessageInvoker _http;

    public MirrorSender(RouteTable routes, MetricsHub metrics, TimeProvider time)
    {
        _routes = routes;
        _metrics = metrics;
        _time = time;
        _http = Forwarding.PredictGateway.NewUpstreamInvoker();
    }

    /// <summary>Offers a copy for each target; a full queue drops it (counted). Never waits.</summary>
    internal void Offer(MirrorCapture capture, string source, int mainStatus, TimeSpan mainElapsed)
    {
        var mainBody = capture.Tee.Captured;
        foreach (var target in capture.Targets)
        {
            var call = new MirrorCall(source, target, capture.Method, capture.PathAndQuery, capture.Headers, capture.Body, mainStatus, mainElapsed,
                mainBody, _time.GetUtcNow());
            if (!_queue.Writer.TryWrite(call))
            {
                Interlocked.Increment(ref Stats(source, target).Dropped);
            }
        }
    }

    /// <summary>
    /// True while the queue has room. Checked before a call is buffered: when the mirror cannot keep up, a copy that would
    /// be dropped costs the caller nothing at all (counted by <see cref="Drop"/>).
    /// </summary>
    internal bool HasRoom => _queue.Reader.Count < QueueCapacity;

    /// <summary>Counts copies dropped before they were made because the queue was full.</summary>
    internal void Drop(string source, string[] targets)
    {
        foreach (var target in targets)
        {
            Interlocked.Increment(ref Stats(source, target).Dropped);
        }
    }

    /// <summary>Counts a call that was chosen for copying but could not be (body too large).</summary>
    internal void Skip(string source, string[] targets)
    {
        foreach (var target in targets)
        {
            Interlocked.Increment(ref Stats(source, target).Skipped);
        }
    }

    /// <summary>Forgets what was measured for a service's mirroring (a new setting starts a new report).</summary>
    public void Reset(string source)
    {
        foreach (var key in _stats.Keys.Where(k => k.Source == source).ToList())
        {
            _stats.TryRemove(key, out _);
        }
    }

    /// <summary>Main versus mirror for every target the service's calls were copied to.</summary>
    public MirrorReport Report(string source, MirrorSetting? setting)
    {
        var targets = _stats.Where(s => s.Key.Source == source).OrderBy(s => s.Key.Target, StringComparer.Ordinal).ToList();
        foreach (var target in setting?.Target ?? [])
        {
            if (!targets.Any(t => t.Key.Target == target))
            {
                targets.Add(new((source, target), new MirrorStats()));
            }
        }

        return new MirrorReport
        {
            ServiceName = source,
            Ratio = setting?.Ratio ?? 0,
            Targets = [.. targets.Select(t => t.Value.ToReport(t.Key.Target))],
        };
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = new Task[Workers];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => WorkAsync(stoppingToken), stoppingToken);
        }

        return Task.WhenAll(workers);
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var call in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await SendAsync(call, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(MirrorCall call, CancellationToken stoppingToken)
    {
        var stats = Stats(call.Source, call.Target);
        var route = _routes.Find(call.Target);
        var endpoint = route is null ? null : PowerOfTwoChoices.Pick(route.Endpoints, _time.GetTimestamp());
        if (route is null || endpoint is null)
        {
            Interlocked.Increment(ref stats.Skipped);
            return;
        }

        endpoint.Enter();
        var started = _time.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(new HttpMethod(call.Method), new Uri(endpoint.Address + call.PathAndQuery.TrimStart('/')));
            if (call.Body.Length > 0 || call.Method is not ("GET" or "HEAD"))
            {
                request.Content = new ByteArrayContent(call.Body);
            }

            foreach (var (name, value) in call.Headers)
            {
                if (!request.Headers.TryAddWithoutValidation(name, value))
                {
                    request.Content?.Headers.TryAddWithoutValidation(name, value);
                }
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(route.Timeout);
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            var elapsed = _time.GetElapsedTime(started);
            var status = (int)response.StatusCode;
            endpoint.ReportSuccess();
            _metrics.Record(call.Target, endpoint.InstanceId, status, rejected: false, elapsed, call.Body.Length, body.Length);
            stats.Record(call, status, elapsed, body);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException && !stoppingToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref stats.Failed);
            stats.RecordMain(call);
        }
        finally
        {
            endpoint.Leave();
            route.Gate.Freed();
        }
    }

    private MirrorStats Stats(string source, string target) => _stats.GetOrAdd((source, target), _ => new MirrorStats());

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    /// <summary>Counters and latency histograms of one (service, target) pair; written by the workers.</summary>
    private sealed class MirrorStats
    {
        public long Mirrored;
        public long Dropped;
        public long Skipped;
        public long Failed;
        public long Compared;
        public long Differed;
        private readonly ConcurrentDictionary<int, long> _mainStatus = new();
        private readonly ConcurrentDictionary<int, long> _mirrorStatus = new();
        private readonly LongConcurrentHistogram _mainLatency = new(1, 3_600_000_000, 2);
        private readonly LongConcurrentHistogram _mirrorLatency = new(1, 3_600_000_000, 2);
        private readonly List<MirrorDifference> _examples = [];

        public void RecordMain(MirrorCall call)
        {
            _mainStatus.AddOrUpdate(call.MainStatus, 1, (_, n) => n + 1);
            _mainLatency.RecordValue(Math.Max(1, call.MainElapsed.Ticks / 10));
        }

        public void Record(MirrorCall call, int status, TimeSpan elapsed, byte[] body)
        {
            Interlocked.Increment(ref Mirrored);
            RecordMain(call);
            _mirrorStatus.AddOrUpdate(status, 1, (_, n) => n + 1);
            _mirrorLatency.RecordValue(Math.Max(1, elapsed.Ticks / 10));
            if (call.MainBody is null && status == call.MainStatus)
            {
                return; // the main answer was too long to keep: only the status is compared
            }

            Interlocked.Increment(ref Compared);
            if (status == call.MainStatus && call.MainBody.AsSpan().SequenceEqual(body))
            {
                return;
            }

            Interlocked.Increment(ref Differed);
            lock (_examples)
            {
                if (_examples.Count < MaxExamples)
                {
                    _examples.Add(new MirrorDifference
                    {
                        Time = call.Time,
                        Path = call.PathAndQuery,
                        MainStatus = call.MainStatus,
                        MirrorStatus = status,
                        MainBody = Cut(call.MainBody),
                        MirrorBody = Cut(body),
                    });
                }
            }
        }

        private static string Cut(byte[]? body) => body is null ? "(longer than the comparison limit)"
            : System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, ExampleBytes))) + (body.Length > ExampleBytes ? "…" : "");

        public MirrorTargetReport ToReport(string target)
        {
            lock (_examples)
            {
                return new MirrorTargetReport
                {
                    Target = target,
                    Mirrored = Interlocked.Read(ref Mirrored) + Interlocked.Read(ref Failed),
                    Dropped = Interlocked.Read(ref Dropped),
                    Skipped = Interlocked.Read(ref Skipped),
                    Failed = Interlocked.Read(ref Failed),
                    Compared = Interlocked.Read(ref Compared),
                    Differed = Interlocked.Read(ref Differed),
                    MainStatus = _mainStatus.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Value),
                    MirrorStatus = _mirrorStatus.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Value),
                    MainLatency = Summary(_mainLatency),
                    MirrorLatency = Summary(_mirrorLatency),
                    Examples = [.. _examples],
                };
            }
        }

        private static LatencySummary Summary(LongConcurrentHistogram h)
        {
            var copy = h.Copy();
            return copy.TotalCount == 0 ? new LatencySummary() : new LatencySummary
            {
                Count = copy.TotalCount,
                P50Ms = Math.Round(copy.GetValueAtPercentile(50) / 1000.0, 3),
                P90Ms = Math.Round(copy.GetValueAtPercentile(90) / 1000.0, 3),
                P99Ms = Math.Round(copy.GetValueAtPercentile(99) / 1000.0, 3),
            };
        }
    }
}
