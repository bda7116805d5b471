using System.Buffers;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenEas.Processor.Abstractions;
using OpenEas.Processor.Batching;
using OpenEas.Processor.Custom;
using OpenEas.Processor.Models;
using OpenEas.Processor.Onnx;
using OpenEas.Processor.Protocol;
using Prometheus;

namespace OpenEas.Processor.Hosting;

/// <summary>
/// The in-instance host (<c>eas processor</c>): resolves the model, loads it, chooses the execution plan, warms up,
/// and only then listens, so the instance's readiness check passes once the first request can be served fast.
/// </summary>
public static class ProcessorHost
{
    public static async Task<int> RunAsync(ProcessorOptions o, CancellationToken ct)
    {
        var name = o.Name ?? DefaultName(o.Model);
        var metrics = new ProcessorMetrics(name);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        var sources = new ModelSources(o.DataDir, http, o.Log);
        var modelPath = o.Model is { } source ? await sources.ResolveAsync(source, ct).ConfigureAwait(false) : null;
        var warmUp = o.WarmUpPath is { } w ? await File.ReadAllBytesAsync(await sources.ResolveAsync(w, ct).ConfigureAwait(false), ct).ConfigureAwait(false) : null;

        IServedModel served = o.Kind switch
        {
            "onnx" => OnnxServed.Start(name, modelPath ?? throw new ModelSourceException("--model is required"), warmUp, o, metrics),
            "custom" => CustomServed.Start(name, modelPath, warmUp, o, metrics),
            _ => throw new ArgumentException($"unknown processor '{o.Kind}' (available: onnx, custom)"),
        };
        using var _ = served;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // As in the server: with the hosting layer's category enabled at all, every call gets an Activity and a log scope.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = o.MaxBodySize;
            k.Listen(IPAddress.Parse(o.Host), o.Port);
            k.AddServerHeader = false;
        });

        await using var app = builder.Build();
        Map(app, name, served, metrics);
        await app.StartAsync(ct).ConfigureAwait(false);
        await o.Log.WriteLineAsync($"processor {o.Kind} serving '{name}' on port {o.Port}: {served.PlanSummary}").ConfigureAwait(false);
        await o.Log.FlushAsync(ct).ConfigureAwait(false);
        // Until SIGTERM (the platform stops an instance with it once its calls have drained) or the caller's token;
        // then Kestrel finishes what is in flight and the process exits.
        await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The model's file stem (<c>/models/mlp.onnx</c> → <c>mlp</c>), the name when run by hand.</summary>
    internal static string DefaultName(string? model)
    {
        if (model is null)
        {
            return "processor";
        }

        var path = Uri.TryCreate(model, UriKind.Absolute, out var uri) && !uri.IsFile ? uri.AbsolutePath : model;
        return Path.GetFileNameWithoutExtension(path.TrimEnd('/')) is { Length: > 0 } stem ? stem : "processor";
    }

    private static void Map(WebApplication app, string name, IServedModel served, ProcessorMetrics metrics)
    {
        app.MapGet("/", ctx => WriteJsonAsync(ctx, 200, w => served.WriteDescription(w, metrics.Snapshot())));
        app.MapPost("/", ctx => HandleAsync(ctx, v2: false, served.InvokeAsync));
        app.MapGet("/metrics", async ctx =>
        {
            ctx.Response.ContentType = "text/plain; version=0.0.4";
            await metrics.Registry.CollectAndExportAsTextAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
        });
        app.MapGet("/v2", ctx => WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", "openeas-processor");
            w.WriteString("version", "1");
            w.WriteStartArray("extensions");
            w.WriteStringValue("binary_tensor_data");
            w.WriteEndArray();
            w.WriteEndObject();
        }));
        app.MapGet("/v2/health/live", ctx => Ok(ctx));
        app.MapGet("/v2/health/ready", ctx => Ok(ctx));
        app.MapGet("/v2/models/{model}", ctx => Model(ctx, name) ?? WriteJsonAsync(ctx, 200, served.WriteV2Metadata));
        app.MapGet("/v2/models/{model}/ready", ctx => Model(ctx, name) ?? Ok(ctx));
        app.MapPost("/v2/models/{model}/infer", ctx => Model(ctx, name) ?? HandleAsync(ctx, v2: true, served.InvokeV2Async));
    }

    private static Task Ok(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        return Task.CompletedTask;
    }

    /// <summary>Null when the route names this model; else writes the 404.</summary>
    private static Task? Model(HttpContext ctx, string name)
    {
        var asked = ctx.Request.RouteValues["model"] as string;
        return asked == name ? null
            : WriteErrorAsync(ctx, 404, $"model '{asked}' is not served here; this instance serves '{name}'", v2: true);
    }

    private delegate Task<Reply> Invoke(HttpContext ctx, ReadOnlyMemory<byte> body);

    private static async Task HandleAsync(HttpContext ctx, bool v2, Invoke invoke)
    {
        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        Reply reply;
        try
        {
            reply = await invoke(ctx, body).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BadInputException or ProcessorInputException)
        {
            await WriteErrorAsync(ctx, 400, ex.Message, v2).ConfigureAwait(false);
            return;
        }
        catch (QueueFullException ex)
        {
            await WriteErrorAsync(ctx, 429, ex.Message, v2).ConfigureAwait(false);
            return;
        }
        catch (DeadlineExceededException ex)
        {
            await WriteErrorAsync(ctx, 504, ex.Message, v2).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            await WriteErrorAsync(ctx, 500, $"the model failed: {ex.Message}", v2).ConfigureAwait(false);
            return;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = reply.ContentType;
        if (reply.HeaderLength is { } h)
        {
            ctx.Response.Headers[V2Protocol.HeaderLength] = h.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (reply.Message is { } message)
        {
            // Serialized into a pooled buffer: a megabyte of outputs does not allocate a new large array per call.
            var size = message.CalculateSize();
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                message.WriteTo(buffer.AsSpan(0, size));
                ctx.Response.ContentLength = size;
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, size), ctx.RequestAborted).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return;
        }

        ctx.Response.ContentLength = reply.Body.Length;
        await ctx.Response.Body.WriteAsync(reply.Body, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext ctx)
    {
        var length = ctx.Request.ContentLength;
        if (length is { } n && n <= int.MaxValue)
        {
            var buffer = new byte[n];
            await ctx.Request.Body.ReadExactlyAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
            return buffer;
        }

        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted).ConfigureAwait(false);
        return ms.ToArray();
    }

    internal static Task WriteErrorAsync(HttpContext ctx, int status, string message, bool v2) => WriteJsonAsync(ctx, status, w =>
    {
        w.WriteStartObject();
        if (v2)
        {
            w.WriteString("error", message);
        }
        else
        {
            w.WriteNumber("code", status);
            w.WriteString("message", message);
        }

        w.WriteEndObject();
    });

    private static async Task WriteJsonAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = status == 200 && ctx.Request.Method == "GET", Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }

        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = buffer.WrittenCount;
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>
/// A response body and its content type (and the v2 binary header's length); or a protobuf message the host
/// serializes into a pooled buffer (then <see cref="Body"/> is empty).
/// </summary>
public readonly record struct Reply(byte[] Body, string ContentType, int? HeaderLength = null, Google.Protobuf.IMessage? Message = null);

/// <summary>What the host serves: an ONNX model or a custom processor.</summary>
internal interface IServedModel : IDisposable
{
    string PlanSummary { get; }

    Task<Reply> InvokeAsync(HttpContext ctx, ReadOnlyMemory<byte> body);

    Task<Reply> InvokeV2Async(HttpContext ctx, ReadOnlyMemory<byte> body);

    void WriteDescription(Utf8JsonWriter w, MetricsSnapshot metrics);

    void WriteV2Metadata(Utf8JsonWriter w);
}
