using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenEas.Core.Metrics;
using OpenEas.Core.Routing;
using OpenEas.Gateway.Auth;
using OpenEas.Gateway.Balancing;
using OpenEas.Gateway.Logging;
using OpenEas.Gateway.Mirroring;
using Yarp.ReverseProxy.Forwarder;

namespace OpenEas.Gateway.Forwarding;

/// <summary>
/// The data plane: <c>/api/predict/{service}[/...]</c> (any method) and <c>/web/{service}/...</c> for web apps.
/// Reads only the route table's immutable snapshot; authenticates; applies the service's rate limit, body
/// limit, per-instance concurrency (with a bounded wait queue) and keepalive; picks a Ready instance by
/// power-of-two-choices; forwards with YARP's <see cref="IHttpForwarder"/>; retries once on another instance
/// when the first refused the connection before reading anything; ejects instances that keep failing.
/// </summary>
public sealed partial class PredictGateway : IDisposable
{
    /// <summary>How long passive health keeps a failing instance out of balancing.</summary>
    internal static readonly TimeSpan EjectFor = TimeSpan.FromSeconds(10);

    private const string WebCookiePrefix = "eas_token_";

    private readonly RouteTable _routes;
    private readonly IHttpForwarder _forwarder;
    private readonly ILogger<PredictGateway> _logger;
    private readonly TimeProvider _time;
    private readonly AccessLog _accessLog;
    private readonly MetricsHub _metrics;
    private readonly IZeroActivator? _activator;
    private readonly MirrorSender? _mirrors;
    private readonly HttpMessageInvoker _invoker;
    private readonly Queue.QueueGateway? _queue;
    private ForwarderRequestConfig _config = new() { ActivityTimeout = RoutePolicy.Default.Timeout };

    public PredictGateway(RouteTable routes, IHttpForwarder forwarder, ILogger<PredictGateway> logger, TimeProvider time, AccessLog accessLog,
        MetricsHub metrics, IZeroActivator? activator = null, Queue.QueueGateway? queue = null, MirrorSender? mirrors = null)
    {
        _queue = queue;
        _mirrors = mirrors;
        _metrics = metrics;
        _activator = activator;
        _routes = routes;
        _forwarder = forwarder;
        _logger = logger;
        _time = time;
        _accessLog = accessLog;
        _invoker = NewUpstreamInvoker();
    }

    /// <summary>A client for instances: no proxy, redirects, decompression, cookies or trace headers; pooled connections.</summary>
    internal static HttpMessageInvoker NewUpstreamInvoker() => new(new OneWriteHandler(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ActivityHeadersPropagator = null,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
    }));

    private const string PredictPrefix = "/api/predict/";

    /// <summary>
    /// Serves <c>/api/predict/{service}[/...]</c> first in the pipeline, ahead of routing and the control API's exception
    /// and status-code pages: calls to services are the data plane, and every layer they pass costs CPU on each call. The
    /// gateway answers its own errors as EAS JSON (an error page made up by the control API's middleware has no place in an
    /// instance's answer). WebSocket upgrades (the queue's watch) go on to the routed endpoint (<see cref="Map"/>), behind
    /// the WebSocket middleware.
    /// </summary>
    public static void UseDataPlane(IApplicationBuilder app)
    {
        var gateway = app.ApplicationServices.GetRequiredService<PredictGateway>();
        app.Use((context, next) => gateway.TryServe(context) ?? next(context));
    }

    /// <returns>The call's task, or null when it is not a plain call to <c>/api/predict/{service}</c>.</returns>
    internal Task? TryServe(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value;
        if (path is null || !path.StartsWith(PredictPrefix, StringComparison.OrdinalIgnoreCase)
            || request.Headers.Upgrade.Count > 0 || HttpMethods.IsConnect(request.Method))
        {
            return null;
        }

        var slash = path.IndexOf('/', PredictPrefix.Length);
        var service = slash < 0 ? path[PredictPrefix.Length..] : path[PredictPrefix.Length..slash];
        return service.Length == 0 ? null : ServeAsync(context, service, slash < 0 ? "/" : path[slash..]);
    }

    private async Task ServeAsync(HttpContext context, string service, string rest)
    {
        try
        {
            await HandleAsync(context, service, rest).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody to answer.
        }
        catch (Exception ex)
        {
            Log.Unhandled(_logger, context.Request.Method, service, ex);
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            context.Response.Clear();
            await GatewayErrorResponse.WriteAsync(context, StatusCodes.Status500InternalServerError,
                $"the gateway failed to serve this call to \"{service}\" (the server log has the error)").ConfigureAwait(false);
        }
    }

    /// <summary>Maps the predict and web-app routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var gateway = app.ServiceProvider.GetRequiredService<PredictGateway>();
        app.Map("/api/predict/{service}", context => gateway.HandleAsync(context, (string)context.Request.RouteValues["service"]!, "/"));
        app.Map("/api/predict/{service}/{**rest}", context =>
            gateway.HandleAsync(context, (string)context.Request.RouteValues["service"]!, "/" + (context.Request.RouteValues["rest"] as string ?? "")));
        app.Map("/web/{service}", context => gateway.HandleWebAsync(context, (string)context.Request.RouteValues["service"]!, null));
        app.Map("/web/{service}/{**rest}", context =>
            gateway.HandleWebAsync(context, (string)context.Request.RouteValues["service"]!, "/" + (context.Request.RouteValues["rest"] as string ?? "")));
    }

    /// <summary>
    /// A web app (<c>metadata.enable_webservice</c>) at <c>/web/{service}/</c>: a browser cannot send the token
    /// header, so <c>?token=</c> once sets a cookie scoped to the app's path; its relative links then just work.
    /// </summary>
    public Task HandleWebAsync(HttpContext context, string service, string? rest)
    {
        var prefix = "/web/" + service;
        var route = _routes.Find(service);
        if (route is not null && route.Policy.EnableWebservice)
        {
            if (rest is null && context.Request.Path.Value?.EndsWith('/') == true)
            {
                rest = "/";
            }

            if (rest is null)
            {
                context.Response.Redirect(prefix + "/" + context.Request.QueryString, permanent: false);
                return Task.CompletedTask;
            }

            if (context.Request.Query.TryGetValue("token", out var token) && !string.IsNullOrEmpty(token))
            {
                context.Response.Cookies.Append(WebCookiePrefix + service, token.ToString(), new CookieOptions
                {
                    Path = prefix + "/",
                    HttpOnly = true,
                    SameSite = SameSiteMode.Lax,
                    Secure = context.Request.IsHttps,
                });
                var query = QueryString.Create(context.Request.Query.Where(q => q.Key != "token"));
                context.Response.Redirect(prefix + rest + query, permanent: false);
                return Task.CompletedTask;
            }
        }

        context.Items[PredictTransformer.PrefixKey] = prefix;
        return HandleAsync(context, service, rest ?? "/", web: true);
    }

    public async Task HandleAsync(HttpContext context, string service, string rest, bool web = false)
    {
        var started = _time.GetTimestamp();
        context.Response.Headers["X-Eas-Request-Id"] = context.TraceIdentifier;
        var route = _routes.Find(service);
        var split = web ? null : _routes.FindSplit(service);
        if (split is not null)
        {
            // A group, or a service whose canary takes part of its calls: one member serves this call.
            route = PickMember(split, context);
            if (route is null)
            {
                await FailAsync(context, null, started, GatewayError.NoReadyInstance,
                    $"no member of \"{service}\" has a weight above 0 (eas group weight {service} <service>=<weight>)").ConfigureAwait(false);
                return;
            }
        }
        else if (route is null && !web && service.IndexOf('.', StringComparison.Ordinal) is var dot and > 0
                 && _routes.FindSplit(service[..dot]) is { } group && group.IsMember(service[(dot + 1)..]))
        {
            // {group}.{service}: one member directly, with its own token.
            route = _routes.Find(service[(dot + 1)..]);
        }

        if (route is null || (web && !route.Policy.EnableWebservice))
        {
            await FailAsync(context, route, started, GatewayError.ServiceNotFound,
                web ? $"no web app \"{service}\" (a service needs metadata.enable_webservice)" : $"service \"{service}\" not found").ConfigureAwait(false);
            return;
        }

        var policy = route.Policy;

        // Size limits first: checking a signature reads the body.
        if (context.Request.ContentLength > policy.MaxBodySize)
        {
            await FailAsync(context, route, started, GatewayError.BodyTooLarge,
                $"the body ({context.Request.ContentLength} bytes) is larger than the service accepts ({policy.MaxBodySize} bytes, rpc.max_body_size)").ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = policy.MaxBodySize;
        }

        var cookieToken = web ? context.Request.Cookies[WebCookiePrefix + service] : null;
        string? denied;
        try
        {
            denied = split is null
                ? await ServiceAuth.CheckAsync(context, route, cookieToken).ConfigureAwait(false)
                : await CheckSplitAsync(context, split).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await FailAsync(context, route, started, GatewayError.BodyTooLarge,
                $"the body is larger than the service accepts ({policy.MaxBodySize} bytes, rpc.max_body_size)").ConfigureAwait(false);
            return;
        }

        if (denied is not null)
        {
            await FailAsync(context, route, started, GatewayError.Unauthorized, denied).ConfigureAwait(false);
            return;
        }

        if (policy.Queue is { } queueSpec && _queue is not null)
        {
            // An async service: the call is a queue call (put, get, watch, ...), answered by the queue, not an instance.
            // Only puts into the input queue are the service's traffic: clients polling the sink must not keep it from zero.
            if (await _queue.HandleAsync(context, route, queueSpec, rest).ConfigureAwait(false))
            {
                _metrics.Arrived(route.Name);
                Complete(context, route, null, started, context.Response.StatusCode, rejected: context.Response.StatusCode >= 400);
            }
            else
            {
                _accessLog.Record(context, route.Name, null, context.Response.StatusCode, _time.GetElapsedTime(started));
            }

            return;
        }

        _metrics.Arrived(route.Name);
        if (route.Gate.Limiter is { } limiter && !TryAcquire(limiter))
        {
            await FailAsync(context, route, started, GatewayError.RateLimited,
                $"service \"{service}\" is limited to {policy.RateLimit} calls per second (rpc.rate_limit)").ConfigureAwait(false);
            return;
        }

        // The keepalive bounds the whole call, waiting included.
        var aborted = context.RequestAborted;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(policy.Timeout);
        context.RequestAborted = deadline.Token;
        context.Items[PredictTransformer.RestPathKey] = rest;

        MirrorCapture? mirror = null;
        if (_mirrors is not null && _routes.FindMirror(route.Name) is { } rule && rule.Sample())
        {
            if (!_mirrors.HasRoom)
            {
                _mirrors.Drop(route.Name, rule.Targets);
            }
            else
            {
                mirror = await MirrorCapture.StartAsync(context, rule.Targets, rest, MirrorSender.MaxBody).ConfigureAwait(false);
                if (mirror is null)
                {
                    _mirrors.Skip(route.Name, rule.Targets);
                }
            }
        }

        if (SmallBody.Fits(context.Request))
        {
            try
            {
                await SmallBody.ReadAsync(context, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
            {
                var timedOut = deadline.IsCancellationRequested && !aborted.IsCancellationRequested;
                await FailAsync(context, route, started, timedOut ? GatewayError.Timeout : GatewayError.ClientAborted,
                    timedOut ? $"the body did not arrive within the service's keepalive ({policy.Timeout.TotalMilliseconds:0} ms, rpc.keepalive)"
                        : "the client's body could not be read").ConfigureAwait(false);
                return;
            }
        }

        // A body in memory can be sent again; a streamed one only while none of it was read.
        var replayable = SmallBody.IsReplayable(context.Request);
        var body = route.Endpoints.Length > 1 && !replayable ? new ReadTrackingStream(context.Request.Body) : null;
        if (body is not null)
        {
            context.Request.Body = body;
        }

        ServiceEndpoint? refused = null;
        for (var attempt = 0; ; attempt++)
        {
            var (endpoint, wait) = await AcquireAsync(route, refused, deadline.Token).ConfigureAwait(false);
            if (endpoint is null)
            {
                var why = wait ?? GatewayError.NoReadyInstance;
                if (why == GatewayError.Timeout && aborted.IsCancellationRequested)
                {
                    why = GatewayError.ClientAborted;
                }

                await FailAsync(context, route, started, why, why switch
                {
                    GatewayError.QueueFull => $"every instance of \"{service}\" is busy (rpc.max_concurrency {policy.MaxConcurrency}) and {route.Gate.Waiting} calls already wait (rpc.max_queue_size)",
                    GatewayError.Timeout => $"no instance of \"{service}\" was free within the keepalive ({policy.Timeout.TotalMilliseconds:0} ms)",
                    _ when route.Unavailable.Length > 0 => $"service \"{service}\" has no ready instance ({route.Unavailable})",
                    _ => $"service \"{service}\" has no ready instance",
                }).ConfigureAwait(false);
                return;
            }

            ForwarderError error;
            try
            {
                error = await _forwarder.SendAsync(context, endpoint.Address, _invoker, ConfigFor(policy), PredictTransformer.Instance)
                    .ConfigureAwait(false);
            }
            finally
            {
                endpoint.Leave();
                route.Gate.Freed();
            }

            if (error == ForwarderError.None)
            {
                endpoint.ReportSuccess();
                Complete(context, route, endpoint, started, context.Response.StatusCode, rejected: false);
                if (mirror is not null)
                {
                    // The caller has its answer: the copy only joins the mirror queue (or is dropped when it is full).
                    context.Response.Body = mirror.OriginalResponse;
                    _mirrors!.Offer(mirror, route.Name, context.Response.StatusCode, _time.GetElapsedTime(started));
                }

                return;
            }

            if (error == ForwarderError.Request && endpoint.ReportFailure(_time.GetTimestamp() + (long)(EjectFor.TotalSeconds * _time.TimestampFrequency)))
            {
                Log.Ejected(_logger, service, endpoint.InstanceId, EjectFor.TotalSeconds);
            }

            // The instance could not be reached and nothing of the call was read: another instance may take it.
            if (attempt == 0 && error == ForwarderError.Request && (replayable ? route.Endpoints.Length > 1 : body is { Touched: false }) && !context.Response.HasStarted
                && !deadline.IsCancellationRequested && NeverConnected(context.Features.Get<IForwarderErrorFeature>()?.Exception))
            {
                refused = endpoint;
                if (replayable)
                {
                    context.Request.Body.Position = 0;
                }

                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.Headers.Clear();
                context.Response.Headers["X-Eas-Request-Id"] = context.TraceIdentifier;
                context.Features.Set<IForwarderErrorFeature>(null);
                continue;
            }

            var (kind, message) = Classify(error, context, deadline, policy, endpoint, aborted);
            Log.Forwarding(_logger, service, endpoint.InstanceId, error);
            await FailAsync(context, route, started, kind, message, endpoint).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>
    /// The member a call to a split goes to: by the sticky key when the call carries one, otherwise the next in the
    /// weighted round-robin. A chosen member with no Ready instance hands the call to another member that has a weight.
    /// </summary>
    private ServiceRoute? PickMember(TrafficSplit split, HttpContext context)
    {
        var index = -1;
        if (split.Sticky is { } sticky)
        {
            var key = sticky.Header is not null ? context.Request.Headers[sticky.Header].ToString() : context.Request.Cookies[sticky.Cookie!];
            if (!string.IsNullOrEmpty(key))
            {
                index = split.PickSticky(key);
            }
        }

        if (index < 0)
        {
            index = split.PickNext();
        }

        if (index < 0)
        {
            return null;
        }

        var route = _routes.Find(split.Members[index]);
        if (route is { Endpoints.Length: > 0 })
        {
            return route;
        }

        for (var i = 0; i < split.Members.Length; i++)
        {
            if (i != index && split.Weights[i] > 0 && _routes.Find(split.Members[i]) is { Endpoints.Length: > 0 } other)
            {
                return other;
            }
        }

        return route;
    }

    /// <summary>A split opens with the token of any service it names for auth (a group: any member's; a canary: the service's).</summary>
    private async ValueTask<string?> CheckSplitAsync(HttpContext context, TrafficSplit split)
    {
        string? first = null;
        foreach (var name in split.AuthServices)
        {
            if (_routes.Find(name) is not { } r)
            {
                continue;
            }

            var denied = await ServiceAuth.CheckAsync(context, r).ConfigureAwait(false);
            if (denied is null)
            {
                return null;
            }

            first ??= denied;
        }

        return first ?? ServiceAuth.InvalidToken;
    }

    private static bool TryAcquire(System.Threading.RateLimiting.RateLimiter limiter)
    {
        try
        {
            using var lease = limiter.AttemptAcquire();
            return lease.IsAcquired;
        }
        catch (ObjectDisposedException)
        {
            return true; // the limit was just changed; the next call meets the new limiter
        }
    }

    /// <summary>A Ready instance with a free slot (reserved), waiting in the service's queue when all are busy.</summary>
    private async ValueTask<(ServiceEndpoint? Endpoint, GatewayError? Error)> AcquireAsync(ServiceRoute route, ServiceEndpoint? exclude, CancellationToken ct)
    {
        if (route.Endpoints.Length == 0 && route.Policy.ScalesFromZero && _activator is not null)
        {
            var woken = await HoldUntilReadyAsync(route, ct).ConfigureAwait(false);
            if (woken is null)
            {
                return (null, ct.IsCancellationRequested ? GatewayError.Timeout : GatewayError.NoReadyInstance);
            }

            route = woken;
        }

        var limit = route.Policy.MaxConcurrency;
        if (limit <= 0)
        {
            var any = PowerOfTwoChoices.Pick(route.Endpoints, _time.GetTimestamp(), exclude);
            any?.Enter();
            return (any, null);
        }

        var free = PowerOfTwoChoices.PickWithLimit(route.Endpoints, limit, _time.GetTimestamp(), exclude);
        if (free is not null || route.Endpoints.Length == 0 || (route.Endpoints.Length == 1 && route.Endpoints[0] == exclude))
        {
            return (free, null);
        }

        var gate = route.Gate;
        if (!gate.TryQueue(route.Policy.MaxQueuePerInstance * route.Endpoints.Length))
        {
            return (null, GatewayError.QueueFull);
        }

        try
        {
            while (true)
            {
                // Look before waiting: a slot freed between the first try and joining the queue woke no one
                // (Freed saw no waiter), and this call would otherwise sit out the whole 100 ms wait.
                var current = _routes.Find(route.Name) ?? route;
                free = PowerOfTwoChoices.PickWithLimit(current.Endpoints, limit, _time.GetTimestamp(), exclude);
                if (free is not null)
                {
                    return (free, null);
                }

                if (current.Endpoints.Length == 0)
                {
                    return (null, GatewayError.NoReadyInstance);
                }

                await gate.WaitFreedAsync(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return (null, GatewayError.Timeout);
        }
        finally
        {
            gate.Dequeue();
        }
    }

    /// <summary>
    /// Scale from zero: the call waits (bounded in number and by the keepalive) while the autoscaler starts an
    /// instance, then goes on as usual. The caller sees a normal answer, only later.
    /// </summary>
    private async Task<ServiceRoute?> HoldUntilReadyAsync(ServiceRoute route, CancellationToken ct)
    {
        var gate = route.Gate;
        if (!gate.TryQueue(RoutePolicy.MaxHeldFromZero))
        {
            return null;
        }

        try
        {
            _activator!.Activate(route.Name);
            var started = _time.GetTimestamp();
            while (true)
            {
                var current = _routes.Find(route.Name);
                if (current is null)
                {
                    return null;
                }

                if (current.Endpoints.Length > 0)
                {
                    var coldStart = _time.GetElapsedTime(started);
                    Log.ColdStart(_logger, route.Name, coldStart.TotalMilliseconds);
                    _activator.Activated(route.Name, coldStart);

                    return current;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(10), _time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        finally
        {
            gate.Dequeue();
        }
    }

    private ForwarderRequestConfig ConfigFor(RoutePolicy policy)
    {
        // One config object per keepalive value in use (almost always one): no allocation per call.
        var config = _config;
        if (config.ActivityTimeout != policy.Timeout)
        {
            config = new ForwarderRequestConfig { ActivityTimeout = policy.Timeout };
            _config = config;
        }

        return config;
    }

    private static (GatewayError Kind, string Message) Classify(ForwarderError error, HttpContext context, CancellationTokenSource deadline,
        RoutePolicy policy, ServiceEndpoint endpoint, CancellationToken aborted)
    {
        if (deadline.IsCancellationRequested && !aborted.IsCancellationRequested || error == ForwarderError.RequestTimedOut)
        {
            return (GatewayError.Timeout, $"the call ran past the service's keepalive ({policy.Timeout.TotalMilliseconds:0} ms, rpc.keepalive)");
        }

        if (aborted.IsCancellationRequested || error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
            or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient)
        {
            return (GatewayError.ClientAborted, "the client went away");
        }

        if (error == ForwarderError.RequestBodyClient && IsBodyTooLarge(context.Features.Get<IForwarderErrorFeature>()?.Exception))
        {
            return (GatewayError.BodyTooLarge, $"the body is larger than the service accepts ({policy.MaxBodySize} bytes, rpc.max_body_size)");
        }

        if (error == ForwarderError.RequestBodyClient)
        {
            return (GatewayError.ClientAborted, "the client's body could not be read");
        }

        return (GatewayError.UpstreamFailed, $"instance {endpoint.InstanceId} failed: {error}");
    }

    /// <summary>True when the instance was never reached (refused, unreachable): the call cannot have run there.</summary>
    private static bool NeverConnected(Exception? exception) => exception switch
    {
        null => false,
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => true,
        System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } => true,
        _ => NeverConnected(exception.InnerException),
    };

    /// <summary>Kestrel's "body too large" may come wrapped (YARP aggregates the body copy's errors).</summary>
    private static bool IsBodyTooLarge(Exception? exception) => exception switch
    {
        null => false,
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsBodyTooLarge),
        _ => IsBodyTooLarge(exception.InnerException),
    };

    internal static int StatusOf(GatewayError error) => error switch
    {
        GatewayError.ServiceNotFound => StatusCodes.Status404NotFound,
        GatewayError.Unauthorized => StatusCodes.Status401Unauthorized,
        GatewayError.NoReadyInstance => StatusCodes.Status503ServiceUnavailable,
        GatewayError.Timeout => StatusCodes.Status408RequestTimeout,
        GatewayError.BodyTooLarge => StatusCodes.Status413PayloadTooLarge,
        GatewayError.RateLimited => StatusCodes.Status429TooManyRequests,
        GatewayError.QueueFull => 450,
        GatewayError.ClientAborted => 499,
        _ => StatusCodes.Status502BadGateway,
    };

    private void Complete(HttpContext context, ServiceRoute? route, ServiceEndpoint? endpoint, long started, int status, bool rejected)
    {
        var elapsed = _time.GetElapsedTime(started);
        if (route is not null)
        {
            // Only known services get series: random names must not grow the metrics without bound.
            _metrics.Record(route.Name, endpoint?.InstanceId, status, rejected, elapsed, context.Request.ContentLength ?? 0,
                context.Response.ContentLength ?? 0);
        }

        _accessLog.Record(context, route?.Name, endpoint?.InstanceId, status, elapsed);
    }

    private async Task FailAsync(HttpContext context, ServiceRoute? route, long started, GatewayError error, string message,
        ServiceEndpoint? endpoint = null)
    {
        var status = StatusOf(error);
        Complete(context, route, endpoint, started, status, rejected: true);
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.Headers["X-Eas-Request-Id"] = context.TraceIdentifier;
        if (error == GatewayError.ClientAborted)
        {
            return;
        }

        try
        {
            await GatewayErrorResponse.WriteAsync(context, status, message).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The client is gone.
        }
    }

    public void Dispose() => _invoker.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Forwarding to {Service}/{Instance} failed: {Error}")]
        public static partial void Forwarding(ILogger logger, string service, string instance, ForwarderError error);

        [LoggerMessage(3, LogLevel.Information, "Service {Service} started from zero for a waiting call in {Milliseconds:0} ms")]
        public static partial void ColdStart(ILogger logger, string service, double milliseconds);

        [LoggerMessage(2, LogLevel.Warning, "Instance {Service}/{Instance} keeps failing: out of balancing for {Seconds} s")]
        public static partial void Ejected(ILogger logger, string service, string instance, double seconds);

        [LoggerMessage(4, LogLevel.Error, "A {Method} call to {Service} failed in the gateway")]
        public static partial void Unhandled(ILogger logger, string method, string service, Exception exception);
    }
}
