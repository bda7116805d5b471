using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using OpenEas.Bench.Infrastructure;

namespace OpenEas.Bench.Gateway;

/// <summary>
/// <c>upstream --port P</c>: the fast instance behind every proxy. Reads the whole request body, then answers
/// 200 with a fixed 3-byte body; no routing, no logging, so the proxies in front of it are what the bench measures.
/// </summary>
internal static class UpstreamApp
{
    private static readonly byte[] Answer = "ok\n"u8.ToArray();

    public static async Task<int> RunAsync(int port, CancellationToken ct)
    {
        var builder = BareKestrel.Builder(port);
        await using var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(ct);
        Console.WriteLine($"upstream listening on http://127.0.0.1:{port}");
        // Until SIGTERM (OpenEAS stops an instance with it) or the runner's token.
        await app.WaitForShutdownAsync(ct);
        return 0;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain";
        context.Response.ContentLength = Answer.Length;
        await context.Response.BodyWriter.WriteAsync(Answer, context.RequestAborted);
    }
}
