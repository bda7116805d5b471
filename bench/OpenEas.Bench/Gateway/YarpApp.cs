using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenEas.Bench.Infrastructure;
using Yarp.ReverseProxy.Forwarder;

namespace OpenEas.Bench.Gateway;

/// <summary>
/// <c>yarp --port P --to http://127.0.0.1:U</c>: a bare YARP <see cref="IHttpForwarder"/> app with the same
/// <see cref="SocketsHttpHandler"/> settings as OpenEAS's gateway and no routing, auth or balancing — row (d),
/// which separates YARP's own cost from OpenEAS's per-request work.
/// </summary>
internal static class YarpApp
{
    public static async Task<int> RunAsync(int port, string destination, CancellationToken ct)
    {
        var builder = BareKestrel.Builder(port);
        builder.Services.AddHttpForwarder();
        await using var app = builder.Build();
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
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
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(100) };
        app.Run(async context =>
        {
            var error = await forwarder.SendAsync(context, destination, invoker, config, HttpTransformer.Default);
            if (error != ForwarderError.None && !context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
            }
        });
        await app.StartAsync(ct);
        Console.WriteLine($"yarp listening on http://127.0.0.1:{port}, forwarding to {destination}");
        // Until SIGTERM (OpenEAS stops an instance with it) or the runner's token.
        await app.WaitForShutdownAsync(ct);
        return 0;
    }
}
