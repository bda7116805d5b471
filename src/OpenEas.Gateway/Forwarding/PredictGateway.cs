using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenEas.Contracts;
using OpenEas.Core.Routing;
using OpenEas.Gateway.Auth;
using OpenEas.Gateway.Balancing;
using Yarp.ReverseProxy.Forwarder;

namespace OpenEas.Gateway.Forwarding;

/// <summary>
/// The data plane: <c>/api/predict/{service}[/...]</c>, any method. Reads only the route table's
/// immutable snapshot, authenticates with the service token, picks a Ready instance and forwards
/// with YARP's <see cref="IHttpForwarder"/>.
/// </summary>
public sealed partial class PredictGateway : IDisposable
{
    private readonly RouteTable _routes;
    private readonly IHttpForwarder _forwarder;
    private readonly ILogger<PredictGateway> _logger;
    private readonly HttpMessageInvoker _invoker;

    public PredictGateway(RouteTable routes, IHttpForwarder forwarder, ILogger<PredictGateway> logger)
    {
        _routes = routes;
        _forwarder = forwarder;
        _logger = logger;
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ActivityHeadersPropagator = null,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        });
    }

    /// <summary>Maps the predict routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var gateway = app.ServiceProvider.GetRequiredService<PredictGateway>();
        app.Map("/api/predict/{service}", context => gateway.HandleAsync(context, (string)context.Request.RouteValues["service"]!, "/"));
        app.Map("/api/predict/{service}/{**rest}", context =>
            gateway.HandleAsync(context, (string)context.Request.RouteValues["service"]!, "/" + (context.Request.RouteValues["rest"] as string ?? "")));
    }

    public async Task HandleAsync(HttpContext context, string service, string rest)
    {
        var requestId = context.TraceIdentifier;
        context.Response.Headers["X-Eas-Request-Id"] = requestId;
        var route = _routes.Find(service);
        if (route is null)
        {
            await ErrorAsync(context, GatewayError.ServiceNotFound, $"service \"{service}\" not found").ConfigureAwait(false);
            return;
        }

        if (await ServiceAuth.CheckAsync(context, route).ConfigureAwait(false) is { } denied)
        {
            await ErrorAsync(context, GatewayError.Unauthorized, denied).ConfigureAwait(false);
            return;
        }

        var endpoint = PowerOfTwoChoices.Pick(route.Endpoints);
        if (endpoint is null)
        {
            await ErrorAsync(context, GatewayError.NoReadyInstance, $"service \"{service}\" has no ready instance").ConfigureAwait(false);
            return;
        }

        context.Items[PredictTransformer.RestPathKey] = rest;
        endpoint.Enter();
        ForwarderError error;
        try
        {
            error = await _forwarder.SendAsync(context, endpoint.Address, _invoker,
                new ForwarderRequestConfig { ActivityTimeout = route.Timeout }, PredictTransformer.Instance).ConfigureAwait(false);
        }
        finally
        {
            endpoint.Leave();
        }

        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            var (kind, message) = error switch
            {
                ForwarderError.RequestTimedOut => (GatewayError.Timeout,
                    $"the request ran past the service's keepalive ({route.Timeout.TotalMilliseconds:0} ms)"),
                ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled => (GatewayError.ClientAborted, "the client went away"),
                _ => (GatewayError.UpstreamFailed, $"instance {endpoint.InstanceId} failed: {error}"),
            };
            Log.Forwarding(_logger, service, endpoint.InstanceId, error);
            await ErrorAsync(context, kind, message).ConfigureAwait(false);
        }
    }

    internal static int StatusOf(GatewayError error) => error switch
    {
        GatewayError.ServiceNotFound => StatusCodes.Status404NotFound,
        GatewayError.Unauthorized => StatusCodes.Status401Unauthorized,
        GatewayError.NoReadyInstance => StatusCodes.Status503ServiceUnavailable,
        GatewayError.Timeout => StatusCodes.Status408RequestTimeout,
        GatewayError.ClientAborted => 499,
        _ => StatusCodes.Status502BadGateway,
    };

    private static async Task ErrorAsync(HttpContext context, GatewayError error, string message)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        var status = StatusOf(error);
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.Headers["X-Eas-Request-Id"] = context.TraceIdentifier;
        if (error == GatewayError.ClientAborted)
        {
            return;
        }

        context.Response.ContentType = "application/json";
        var body = new GatewayErrorBody { Code = status, Message = message, RequestId = context.TraceIdentifier };
        await JsonSerializer.SerializeAsync(context.Response.Body, body, EasJsonContext.Default.GatewayErrorBody, context.RequestAborted)
            .ConfigureAwait(false);
    }

    public void Dispose() => _invoker.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Forwarding to {Service}/{Instance} failed: {Error}")]
        public static partial void Forwarding(ILogger logger, string service, string instance, ForwarderError error);
    }
}
