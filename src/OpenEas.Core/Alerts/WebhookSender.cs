using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenEas.Contracts;

namespace OpenEas.Core.Alerts;

/// <summary>When to try a webhook again: 1 s, 2 s, 4 s, 8 s after failed tries 1-4; nothing after the fifth.</summary>
public static class WebhookRetry
{
    public const int MaxAttempts = 5;

    /// <summary>How long to wait after <paramref name="failedAttempts"/> failed tries; null means give up.</summary>
    public static TimeSpan? DelayAfter(int failedAttempts) =>
        failedAttempts is >= 1 and < MaxAttempts ? TimeSpan.FromSeconds(1 << (failedAttempts - 1)) : null;
}

/// <summary>
/// Posts alert notifications to webhooks in the background. <see cref="Enqueue"/> never blocks: past
/// <see cref="Capacity"/> notifications waiting or being retried, new ones are dropped and counted. Each URL is
/// served in order (a resolved never overtakes its firing); different URLs do not wait for each other. A try fails
/// on a non-2xx answer, a connection error or a 10 s timeout, and is retried per <see cref="WebhookRetry"/>.
/// </summary>
public sealed class WebhookSender : BackgroundService
{
    public const int Capacity = 1000;
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<(string Url, AlertNotification Notification)> _queue =
        Channel.CreateUnbounded<(string, AlertNotification)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Task> _lanes = new(StringComparer.Ordinal);
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _outstanding;
    private long _dropped;
    private long _delivered;
    private long _failed;
    private long _retryWaits;

    public WebhookSender(TimeProvider time, ILogger<WebhookSender> logger)
        : this(time, logger, new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
    }

    internal WebhookSender(TimeProvider time, ILogger logger, HttpMessageHandler handler)
    {
        _time = time;
        _logger = logger;
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("OpenEAS-Alerts", "1"));
    }

    /// <summary>Notifications dropped because too many were waiting.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Notifications a webhook accepted (2xx).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Notifications given up after <see cref="WebhookRetry.MaxAttempts"/> tries.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Waits before a retry started so far (each one's timer is already set when it is counted).</summary>
    internal long RetryWaits => Interlocked.Read(ref _retryWaits);

    /// <summary>Queues a notification; false (and counted in <see cref="Dropped"/>) when the queue is full.</summary>
    public bool Enqueue(string url, AlertNotification notification)
    {
        if (Interlocked.Increment(ref _outstanding) > Capacity || !_queue.Writer.TryWrite((url, notification)))
        {
            Interlocked.Decrement(ref _outstanding);
            Interlocked.Increment(ref _dropped);
            AlertLog.WebhookDropped(_logger, HostOf(url), notification.Service, notification.Rule.Name);
            return false;
        }

        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (url, notification) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var done in _lanes.Where(l => l.Value.IsCompleted).Select(l => l.Key).ToList())
                {
                    _lanes.Remove(done);
                }

                var previous = _lanes.GetValueOrDefault(url) ?? Task.CompletedTask;
                _lanes[url] = AfterAsync(previous, url, notification, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: notifications still queued are lost with the process, as the docs say.
        }

        await Task.WhenAll(_lanes.Values).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private async Task AfterAsync(Task previous, string url, AlertNotification notification, CancellationToken ct)
    {
        await previous.ConfigureAwait(false);
        try
        {
            await DeliverAsync(url, notification, ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }

    /// <summary>Posts one notification, retrying with backoff; never throws (but for stopping).</summary>
    internal async Task<bool> DeliverAsync(string url, AlertNotification notification, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(notification, EasJsonContext.Default.AlertNotification);
        for (var attempt = 1; ; attempt++)
        {
            string error;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(AttemptTimeout);
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                using var response = await _http.PostAsync(new Uri(url), content, timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _delivered);
                    return true;
                }

                error = $"answered {(int)response.StatusCode}";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                error = ex is OperationCanceledException ? $"no answer in {AttemptTimeout.TotalSeconds:0} s" : ex.Message;
            }

            if (WebhookRetry.DelayAfter(attempt) is not { } delay)
            {
                Interlocked.Increment(ref _failed);
                AlertLog.WebhookGaveUp(_logger, HostOf(url), notification.Service, notification.Rule.Name, attempt, error);
                return false;
            }

            AlertLog.WebhookRetrying(_logger, HostOf(url), attempt, error, delay.TotalSeconds);
            try
            {
                var wait = Task.Delay(delay, _time, ct);
                // Counted once the wait's timer is on the clock: a test that advances a fake clock waits for this first.
                Interlocked.Increment(ref _retryWaits);
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>Only the host goes to the log: webhook paths and queries often carry secrets.</summary>
    private static string HostOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : "?";
}
