using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace OpenEas.Bench.Infrastructure;

/// <summary>The runner's own HTTP apps (upstream, YARP, the queue's floors): Kestrel on 127.0.0.1, no logging, no Server header.</summary>
internal static class BareKestrel
{
    public static WebApplicationBuilder Builder(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.AddServerHeader = false;
        });
        return builder;
    }
}
