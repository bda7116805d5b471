using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenEas.Contracts;
using OpenEas.Core.Metrics;
using Prometheus;

namespace OpenEas.Server.Api;

/// <summary><c>GET /metrics</c>: the Prometheus text format, from the metrics hub's registry. Needs the admin token (Bearer), as Prometheus can send.</summary>
internal static class PrometheusEndpoint
{
    public static void Map(IEndpointRouteBuilder app, string adminToken)
    {
        var hub = app.ServiceProvider.GetRequiredService<MetricsHub>();
        app.MapGet("/metrics", async context =>
        {
            if (!AdminToken.Matches(adminToken, context.Request.Headers.Authorization))
            {
                await Problems.Create(401, ErrorCodes.Unauthorized, "send the admin token: Authorization: Bearer <token> (Prometheus: authorization.credentials)")
                    .ExecuteAsync(context);
                return;
            }

            context.Response.ContentType = PrometheusConstants.ExporterContentTypeValue.ToString();
            await hub.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
    }
}
