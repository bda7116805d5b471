using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenEas.Core.Routing;

namespace OpenEas.Core.Queue;

/// <summary>
/// Feeds async services: for each one, takes entries from its input queue and hands each Ready instance at most
/// <c>queue.window</c> at once, as an ordinary HTTP POST; puts the answer (or the error, with its status) into the
/// sink with the input's tags, then commits the input. At-least-once: the delivery count is stored before each try;
/// an entry whose instance died or ran past the keepalive is tried again, and after <c>queue.max_delivery</c> tries it
/// goes to the sink as an error. After a restart every entry still in the input queue is delivered again.
/// </summary>
public sealed partial class QueueDispatcher : BackgroundService
{
    private static readonly TimeSpan Scan = TimeSpan.FromMilliseconds(250);

    private readonly RouteTable _routes;
    private readonly IQueueStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<QueueDispatcher> _logger;
    private readonly HttpClient _http;
    private readonly Dictionary<string, ServiceFeed> _feeds = new(StringComparer.Ordinal);

    public QueueDispatcher(RouteTable routes, IQueueStore store, TimeProvider time, ILogger<QueueDispatcher> logger)
    {
        _routes = routes;
        _store = store;
        _time = time;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            MaxConnectionsPerServer = int.MaxValue,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var snapshot = _routes.Snapshot;
                foreach (var (name, route) in snapshot)
                {
                    if (route.Policy.Queue is not null && !_feeds.ContainsKey(name))
                    {
                        var feed = new ServiceFeed(this, name, stoppingToken);
                        _feeds[name] = feed;
                        feed.Start();
                    }
                }

                foreach (var (name, feed) in _feeds.ToArray())
                {
                    var route = snapshot.GetValueOrDefault(name);
                    if (route?.Policy.Queue is null)
                    {
                        await feed.StopAsync().ConfigureAwait(false);
                        _feeds.Remove(name);
                        if (route is null)
                        {
                            // The service was deleted: its queues go with it (their indexes are still never reused).
                            await _store.DropAsync(name, CancellationToken.None).ConfigureAwait(false);
                            await _store.DropAsync(name + "/sink", CancellationToken.None).ConfigureAwait(false);
                        }
                    }
                }

                await Task.Delay(Scan, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }

        foreach (var feed in _feeds.Values)
        {
            await feed.StopAsync().ConfigureAwait(false);
        }

        _feeds.Clear();
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    /// <summary>The dispatch loop of one async service.</summary>
    private sealed class ServiceFeed(QueueDispatcher owner, string service, CancellationToken stopping) : IDisposable
    {
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        private readonly ConcurrentQueue<QueueEntry> _retry = new();
        private readonly SemaphoreSlim _freed = new(0, int.MaxValue);
        private readonly ConcurrentDictionary<long, byte> _inFlight = new();
        private Task _loop = Task.CompletedTask;

        /// <summary>Next index to read; everything below it was read (and is in flight, retried, or done).</summary>
        private long _cursor;

        /// <summary>Every slot of every Ready instance was taken in the last round.</summary>
        private bool _full;

        public void Start() => _loop = Task.Run(LoopAsync);

        public async Task StopAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            // Deliveries still running end with the cancellation; what they had not committed is delivered after a restart.
            while (!_inFlight.IsEmpty)
            {
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
            }

            Dispose();
        }

        public void Dispose()
        {
            _stop.Dispose();
            _freed.Dispose();
        }

        private async Task LoopAsync()
        {
            var ct = _stop.Token;
            while (!ct.IsCancellationRequested)
            {
                var route = owner._routes.Find(service);
                if (route?.Policy.Queue is not { } spec)
                {
                    return;
                }

                var changed = owner._store.NextChange(service);
                var started = 0;
                try
                {
                    started = await FeedAsync(route, spec.Window, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.FeedFailed(owner._logger, service, ex.Message);
                }

                if (started == 0)
                {
                    await WaitForWorkAsync(changed, ct).ConfigureAwait(false);
                }
            }
        }

        /// <summary>
        /// Waits until a round could start a delivery: a slot was freed, entries arrived (only while a slot is free: with
        /// every slot taken new entries change nothing, and waking on each commit would cost most on the busiest queues),
        /// or <see cref="Scan"/> passed (instances come and go without a signal). The timeout and the slot wait end with the
        /// wait, so neither outlives it: a left-over slot waiter would take the signal of the next freed slot.
        /// </summary>
        private async Task WaitForWorkAsync(Task changed, CancellationToken ct)
        {
            using var timeout = new CancellationTokenSource(Scan, owner._time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            var freed = _freed.WaitAsync(wait.Token);
            try
            {
                await (_full ? freed : Task.WhenAny(changed, freed)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The scan interval passed.
            }
            finally
            {
                // Entries came first: stop waiting for a slot (a slot freed meanwhile is seen by the next round anyway).
                await wait.CancelAsync().ConfigureAwait(false);
            }

            ct.ThrowIfCancellationRequested();
        }

        /// <summary>Starts as many deliveries as Ready instances have free slots for; answers how many started.</summary>
        private async Task<int> FeedAsync(ServiceRoute route, int window, CancellationToken ct)
        {
            var endpoints = route.Endpoints;
            var now = owner._time.GetTimestamp();
            var free = 0;
            foreach (var e in endpoints)
            {
                if (!e.IsEjected(now))
                {
                    free += Math.Max(0, window - e.InFlight);
                }
            }

            _full = free == 0;
            if (_full)
            {
                return 0;
            }

            var batch = new List<QueueEntry>(free);
            while (batch.Count < free && _retry.TryDequeue(out var again))
            {
                batch.Add(again);
            }

            if (batch.Count < free)
            {
                var fresh = await owner._store.ReadAsync(service, _cursor, free - batch.Count, null, ct).ConfigureAwait(false);
                foreach (var entry in fresh)
                {
                    _cursor = entry.Index + 1;
                    if (!_inFlight.ContainsKey(entry.Index))
                    {
                        batch.Add(entry);
                    }
                }
            }

            var started = 0;
            foreach (var entry in batch)
            {
                var endpoint = Pick(endpoints, window, now);
                if (endpoint is null)
                {
                    _retry.Enqueue(entry);
                    continue;
                }

                _inFlight[entry.Index] = 0;
                started++;
                _ = DeliverAsync(route, endpoint, entry, ct);
            }

            return started;
        }

        /// <summary>The least busy Ready instance with a free slot (the slot is taken).</summary>
        private static ServiceEndpoint? Pick(ServiceEndpoint[] endpoints, int window, long now)
        {
            ServiceEndpoint? best = null;
            foreach (var e in endpoints)
            {
                if (!e.IsEjected(now) && e.InFlight < window && (best is null || e.InFlight < best.InFlight))
                {
                    best = e;
                }
            }

            return best is not null && best.TryEnter(window) ? best : null;
        }

        private async Task DeliverAsync(ServiceRoute route, ServiceEndpoint endpoint, QueueEntry entry, CancellationToken ct)
        {
            var spec = route.Policy.Queue!;
            var store = owner._store;
            try
            {
                var deliveries = await store.DeliveredAsync(service, entry.Index, ct).ConfigureAwait(false);
                if (deliveries == 0)
                {
                    return; // committed or deleted meanwhile
                }

                string failure;
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(route.Policy.Timeout);
                    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(endpoint.Address), Query(entry)))
                    {
                        Content = new ByteArrayContent(entry.Data),
                    };
                    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
                    if (entry.Tags.TryGetValue("requestId", out var requestId))
                    {
                        request.Headers.TryAddWithoutValidation("X-Eas-Queueservice-Request-Id", requestId);
                    }

                    using var response = await owner._http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                    var body = await response.Content.ReadAsByteArrayAsync(CancellationToken.None).ConfigureAwait(false);
                    endpoint.ReportSuccess();
                    var status = (int)response.StatusCode;
                    var message = status is >= 200 and < 300 ? null : $"the instance answered {status} {response.ReasonPhrase}".TrimEnd();
                    await ResultAsync(spec, entry, deliveries, status, body, message, ct).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    failure = $"no answer within the keepalive ({route.Policy.Timeout.TotalMilliseconds:0} ms, rpc.keepalive)";
                }
                catch (HttpRequestException ex)
                {
                    failure = $"instance {endpoint.InstanceId} failed: {ex.Message}";
                    endpoint.ReportFailure(owner._time.GetTimestamp() + (long)(5 * owner._time.TimestampFrequency));
                }

                if (deliveries >= spec.MaxDelivery)
                {
                    Log.Poison(owner._logger, service, entry.Index, deliveries);
                    await ResultAsync(spec, entry, deliveries, 0, [],
                        $"delivered {deliveries} times (queue.max_delivery {spec.MaxDelivery}) without an answer; last: {failure}", ct).ConfigureAwait(false);
                    return;
                }

                Log.Redeliver(owner._logger, service, entry.Index, failure);
                _retry.Enqueue(entry);
            }
            catch (OperationCanceledException)
            {
                // Shutting down: the entry stays in the input queue and is delivered after the restart.
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The store failed (disk full, ...): try the entry again later rather than lose it.
                Log.FeedFailed(owner._logger, service, ex.Message);
                _retry.Enqueue(entry);
            }
            finally
            {
                endpoint.Leave();
                _freed.Release();
                _inFlight.TryRemove(entry.Index, out _);
            }
        }

        /// <summary>Puts the result into the sink (waiting while the sink is full), then commits the input.</summary>
        private async Task ResultAsync(Specs.QueueSpec spec, QueueEntry entry, int deliveries, int status, byte[] body, string? message,
            CancellationToken ct)
        {
            var tags = new Dictionary<string, string>(entry.Tags, StringComparer.Ordinal)
            {
                [SinkTags.Status] = status.ToString(CultureInfo.InvariantCulture),
                [SinkTags.InputIndex] = entry.Index.ToString(CultureInfo.InvariantCulture),
                [SinkTags.Deliveries] = deliveries.ToString(CultureInfo.InvariantCulture),
            };
            if (message is not null)
            {
                tags[SinkTags.Message] = message;
            }

            var sink = service + "/sink";
            var limits = new QueueLimits(spec.SinkMaxLength, spec.SinkMaxPayloadBytes);
            while (true)
            {
                try
                {
                    await owner._store.PutAsync(sink, body, tags, limits, ct).ConfigureAwait(false);
                    break;
                }
                catch (QueuePutException ex) when (ex.Refusal == PutRefusal.TooLarge)
                {
                    tags[SinkTags.Message] = $"the answer ({body.Length} bytes) is larger than the sink accepts ({limits.MaxPayloadBytes} bytes, queue.sink.max_payload_size_kb)";
                    body = [];
                }
                catch (QueuePutException)
                {
                    // The sink is full: hold this slot until clients take results (back-pressure, nothing dropped).
                    await Task.Delay(TimeSpan.FromMilliseconds(200), owner._time, ct).ConfigureAwait(false);
                }
            }

            await owner._store.RemoveAsync(service, [entry.Index], CancellationToken.None).ConfigureAwait(false);
        }

        /// <summary>The entry's tags as the query string of the call to the instance.</summary>
        private static string Query(QueueEntry entry)
        {
            if (entry.Tags.Count == 0)
            {
                return "/";
            }

            var sb = new StringBuilder("/?");
            foreach (var (k, v) in entry.Tags)
            {
                if (sb.Length > 2)
                {
                    sb.Append('&');
                }

                sb.Append(WebUtility.UrlEncode(k)).Append('=').Append(WebUtility.UrlEncode(v));
            }

            return sb.ToString();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Async service {Service}: entry {Index} goes back to the queue: {Reason}")]
        public static partial void Redeliver(ILogger logger, string service, long index, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Async service {Service}: entry {Index} failed {Deliveries} deliveries; it goes to the sink as an error")]
        public static partial void Poison(ILogger logger, string service, long index, int deliveries);

        [LoggerMessage(3, LogLevel.Warning, "Async service {Service}: dispatch failed: {Reason}")]
        public static partial void FeedFailed(ILogger logger, string service, string reason);
    }
}
