using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OpenEas.Contracts;

namespace OpenEas.Gateway.Forwarding;

/// <summary>Why the gateway answered instead of the service; each maps to the status EAS clients expect.</summary>
public enum GatewayError
{
    /// <summary>404: no such service (or not a web app, at /web/).</summary>
    ServiceNotFound,

    /// <summary>401: token missing or wrong.</summary>
    Unauthorized,

    /// <summary>503: no Ready instance.</summary>
    NoReadyInstance,

    /// <summary>408: the call ran past <c>rpc.keepalive</c>.</summary>
    Timeout,

    /// <summary>502: the instance failed (refused, reset, or broke its answer).</summary>
    UpstreamFailed,

    /// <summary>The caller went away; nothing is sent.</summary>
    ClientAborted,

    /// <summary>413: the body is larger than <c>rpc.max_body_size</c>.</summary>
    BodyTooLarge,

    /// <summary>429: over <c>rpc.rate_limit</c>.</summary>
    RateLimited,

    /// <summary>450: every instance is at <c>rpc.max_concurrency</c> and the wait queue is full.</summary>
    QueueFull,
}

/// <summary>The gateway's own answers (not the service's): EAS JSON <c>{"code", "message", "requestId"}</c>.</summary>
internal static class GatewayErrorResponse
{
    /// <summary>
    /// Messages are written as readable JSON (<c>"service \"x\" not found"</c>, not <c>\u0022x\u0022</c>): the body is
    /// <c>application/json</c>, never HTML, so only what JSON itself requires is escaped.
    /// </summary>
    private static readonly JsonWriterOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Sets the status and writes the body; the caller has checked that the response has not started.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = new GatewayErrorBody { Code = status, Message = message, RequestId = context.TraceIdentifier };
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, Readable);
        JsonSerializer.Serialize(writer, body, EasJsonContext.Default.GatewayErrorBody);
        await writer.FlushAsync(CancellationToken.None);
    }
}
