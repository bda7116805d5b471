using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using OpenEas.Core.Hosting;
using OpenEas.Core.Runtime;

namespace OpenEas.Gateway.Logging;

/// <summary>
/// The gateway's access log: one JSON line per call in <c>{data}/logs/access.log</c> (rotated like instance
/// logs). Written off the request path through a bounded channel; above <see cref="MaxPerSecond"/> lines a
/// second it samples, and each line says how many calls it stands for, so counts stay right.
/// </summary>
public sealed class AccessLog : BackgroundService
{
    /// <summary>Lines written per second before sampling starts.</summary>
    public const int MaxPerSecond = 200;

    private readonly Channel<Entry> _channel = Channel.CreateBounded<Entry>(new BoundedChannelOptions(4096)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly TimeProvider _time;
    private readonly EasCoreOptions _options;
    private long _second;
    private int _inSecond;
    private int _skipped;

    public AccessLog(TimeProvider time, EasCoreOptions options)
    {
        _time = time;
        _options = options;
    }

    public string Path => System.IO.Path.Combine(_options.DataDir, "logs", "access.log");

    /// <summary>Records one call (cheap: a struct into a channel; sampled when hot).</summary>
    public void Record(HttpContext context, string? service, string? instance, int status, TimeSpan elapsed)
    {
        var now = _time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        if (Interlocked.Exchange(ref _second, second) != second)
        {
            Volatile.Write(ref _inSecond, 0);
        }

        if (Interlocked.Increment(ref _inSecond) > MaxPerSecond)
        {
            Interlocked.Increment(ref _skipped);
            return;
        }

        var standsFor = 1 + Interlocked.Exchange(ref _skipped, 0);
        if (!_channel.Writer.TryWrite(new Entry(now, context.TraceIdentifier, context.Request.Method, service, instance,
                context.Request.Path.Value, status, elapsed.TotalMilliseconds, context.Request.ContentLength,
                context.Response.ContentLength, standsFor)))
        {
            Interlocked.Add(ref _skipped, standsFor);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var lines = 0;
        var buffer = new ArrayBufferWriter<byte>(512);
        try
        {
            while (await _channel.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await using (var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
                {
                    while (_channel.Reader.TryRead(out var entry))
                    {
                        buffer.ResetWrittenCount();
                        using (var json = new Utf8JsonWriter(buffer))
                        {
                            entry.Write(json);
                        }

                        buffer.Write("\n"u8);
                        await file.WriteAsync(buffer.WrittenMemory, stoppingToken).ConfigureAwait(false);
                        lines++;
                    }
                }

                if (lines > 10_000)
                {
                    lines = 0;
                    LogRotation.RotateIfNeeded(Path, _options.LogRotateBytes, _options.LogFilesKept);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private readonly record struct Entry(DateTimeOffset Time, string RequestId, string Method, string? Service, string? Instance,
        string? Path, int Status, double Milliseconds, long? RequestBytes, long? ResponseBytes, int StandsFor)
    {
        public void Write(Utf8JsonWriter json)
        {
            json.WriteStartObject();
            json.WriteString("time", Time);
            json.WriteString("requestId", RequestId);
            json.WriteString("method", Method);
            json.WriteString("service", Service);
            json.WriteString("instance", Instance);
            json.WriteString("path", Path);
            json.WriteNumber("status", Status);
            json.WriteNumber("ms", Math.Round(Milliseconds, 3));
            if (RequestBytes is { } rq)
            {
                json.WriteNumber("requestBytes", rq);
            }

            if (ResponseBytes is { } rs)
            {
                json.WriteNumber("responseBytes", rs);
            }

            if (StandsFor > 1)
            {
                json.WriteNumber("sampled", StandsFor);
            }

            json.WriteEndObject();
        }
    }
}
