using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using OpenEas.Contracts.Queue;
using OpenEas.Core.Queue;
using OpenEas.Core.Routing;
using OpenEas.Core.Specs;
using OpenEas.Gateway.Forwarding;

namespace OpenEas.Gateway.Queue;

/// <summary>
/// The EAS queue-service protocol for an async service: its input queue at <c>/api/predict/{svc}</c> and its results at
/// <c>/api/predict/{svc}/sink</c>. put (POST), get (GET, long poll), watch (WebSocket), commit (PUT), delete and
/// truncate (DELETE), attributes and search (GET). The caller has already been authenticated by the gateway.
/// </summary>
public sealed class QueueGateway(IQueueStore store, TimeProvider time)
{
    public const string ProtobufType = "application/vnd.google.protobuf";
    public const string RequestIdHeader = "X-Eas-Queueservice-Request-Id";

    /// <summary>Longest a get may wait for data.</summary>
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The queue names of a service: input and sink.</summary>
    public static string SinkOf(string service) => service + "/sink";

    /// <returns>True for a put into the input queue (the service's traffic; reads and sink calls are not).</returns>
    public async Task<bool> HandleAsync(HttpContext context, ServiceRoute route, QueueSpec spec, string rest)
    {
        string queue;
        QueueLimits limits;
        if (rest is "/" or "")
        {
            queue = route.Name;
            limits = new QueueLimits(spec.MaxLength, spec.MaxPayloadBytes);
        }
        else if (rest.TrimEnd('/') == "/sink")
        {
            queue = SinkOf(route.Name);
            limits = new QueueLimits(spec.SinkMaxLength, spec.SinkMaxPayloadBytes);
        }
        else
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound,
                $"\"{route.Name}\" is an async service: it has its input queue at /api/predict/{route.Name} and its results at /api/predict/{route.Name}/sink")
                .ConfigureAwait(false);
            return false;
        }

        var query = context.Request.Query;
        try
        {
            switch (context.Request.Method)
            {
                case "POST":
                    await PutAsync(context, queue, limits).ConfigureAwait(false);
                    break;
                case "GET" when Flag(query, "_watch_"):
                    await WatchAsync(context, queue).ConfigureAwait(false);
                    break;
                case "GET" when Flag(query, "_attrs_"):
                    await AttributesAsync(context, queue, limits).ConfigureAwait(false);
                    break;
                case "GET" when Flag(query, "_search_"):
                    await SearchAsync(context, queue).ConfigureAwait(false);
                    break;
                case "GET":
                    await GetAsync(context, queue).ConfigureAwait(false);
                    break;
                case "PUT":
                    await RemoveAsync(context, queue, "_indexes_ (the indexes to commit, e.g. _indexes_=1,2,3)").ConfigureAwait(false);
                    break;
                case "DELETE" when Flag(query, "_trunc_"):
                    await TruncateAsync(context, queue).ConfigureAwait(false);
                    break;
                case "DELETE":
                    await RemoveAsync(context, queue, "_indexes_ (the indexes to delete), or _index_=N&_trunc_=true").ConfigureAwait(false);
                    break;
                default:
                    await ErrorAsync(context, StatusCodes.Status405MethodNotAllowed,
                        $"{context.Request.Method} is not a queue call (POST put, GET get/watch/attributes/search, PUT commit, DELETE delete/truncate)")
                        .ConfigureAwait(false);
                    break;
            }
        }
        catch (BadQueryException ex)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, ex.Message).ConfigureAwait(false);
        }
        catch (QueuePutException ex)
        {
            await ErrorAsync(context, ex.Refusal == PutRefusal.Full ? StatusCodes.Status429TooManyRequests : StatusCodes.Status413PayloadTooLarge,
                ex.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }

        return context.Request.Method == "POST" && queue == route.Name;
    }

    // ---- put --------------------------------------------------------------------------------

    private async Task PutAsync(HttpContext context, string queue, QueueLimits limits)
    {
        if (context.Request.ContentLength > limits.MaxPayloadBytes)
        {
            throw new QueuePutException(PutRefusal.TooLarge,
                $"the entry ({context.Request.ContentLength} bytes) is larger than queue \"{queue}\" accepts ({limits.MaxPayloadBytes} bytes, queue.max_payload_size_kb)");
        }

        var data = await ReadBodyAsync(context.Request.Body, limits.MaxPayloadBytes, queue, context.RequestAborted).ConfigureAwait(false);
        var tags = TagsOf(context.Request.Query);
        if (!tags.TryGetValue("requestId", out var requestId) || string.IsNullOrEmpty(requestId))
        {
            requestId = NewRequestId(time.GetUtcNow());
            tags["requestId"] = requestId;
        }

        // Not cancelled by the client: once handed to the writer, the entry is stored whether or not anyone waits.
        var index = await store.PutAsync(queue, data, tags, limits, CancellationToken.None).ConfigureAwait(false);
        context.Response.Headers[RequestIdHeader] = requestId;
        context.Response.ContentType = "text/plain";
        var text = index.ToString(CultureInfo.InvariantCulture);
        context.Response.ContentLength = text.Length; // digits: one byte each
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// A UUIDv7 (RFC 9562: the Unix time in milliseconds, then random bits) as 32 hex digits. Time-ordered, so the store's
    /// requestId index grows at its end instead of taking a random page per put. Its random bits come from the process's
    /// fast generator: <see cref="Guid.CreateVersion7()"/> reads the kernel's random device on every call, a system call
    /// per put. A request id is a name, not a secret (reading a result by it takes the service's token).
    /// </summary>
    internal static string NewRequestId(DateTimeOffset now)
    {
        Span<byte> id = stackalloc byte[16];
        Random.Shared.NextBytes(id[6..]);
        var ms = (ulong)now.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            id[i] = (byte)ms;
            ms >>= 8;
        }

        id[6] = (byte)(0x70 | (id[6] & 0x0F)); // version 7
        id[8] = (byte)(0x80 | (id[8] & 0x3F)); // variant 10
        return Convert.ToHexStringLower(id);
    }

    /// <summary>Query parameters other than the protocol's own (<c>_name_</c>) are the entry's tags.</summary>
    internal static Dictionary<string, string> TagsOf(IQueryCollection query)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in query)
        {
            if (key.Length > 1 && key[0] == '_' && key[^1] == '_')
            {
                continue;
            }

            tags[key] = value.ToString();
        }

        return tags;
    }

    private static async Task<byte[]> ReadBodyAsync(Stream body, int max, string queue, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(max + 1, 64 * 1024));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, (long)max + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.AsSpan(0, length).ToArray();
                }

                length += read;
                if (length > max)
                {
                    throw new QueuePutException(PutRefusal.TooLarge,
                        $"the entry is larger than queue \"{queue}\" accepts ({max} bytes, queue.max_payload_size_kb)");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // ---- get --------------------------------------------------------------------------------

    private async Task GetAsync(HttpContext context, string queue)
    {
        var query = context.Request.Query;
        var from = Integer(query, "_index_", 0);
        var length = (int)Math.Clamp(Integer(query, "_length_", 1), 1, 10_000);
        var timeout = Duration(query, "_timeout_", TimeSpan.FromSeconds(5));
        var raw = Flag(query, "_raw_");
        var autoDelete = Flag(query, "_auto_delete_");
        var requestId = query.TryGetValue("requestId", out var r) && !string.IsNullOrEmpty(r) ? r.ToString() : null;

        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        IReadOnlyList<QueueEntry> entries;
        while (true)
        {
            var changed = store.NextChange(queue);
            entries = await store.ReadAsync(queue, from, length, requestId, context.RequestAborted).ConfigureAwait(false);
            var left = TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);
            if (entries.Count > 0 || left <= TimeSpan.Zero)
            {
                break;
            }

            await Task.WhenAny(changed, Task.Delay(left, time, context.RequestAborted)).ConfigureAwait(false);
            context.RequestAborted.ThrowIfCancellationRequested();
        }

        if (autoDelete && entries.Count > 0)
        {
            var indexes = new long[entries.Count];
            for (var i = 0; i < entries.Count; i++)
            {
                indexes[i] = entries[i].Index;
            }

            await store.RemoveAsync(queue, indexes, CancellationToken.None).ConfigureAwait(false);
        }

        if (entries.Count == 0 && (requestId is not null || raw))
        {
            // A result that is not ready yet (EAS answers 204).
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        if (raw)
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.Headers["X-Eas-Queueservice-Index"] = entries[0].Index.ToString(CultureInfo.InvariantCulture);
            await context.Response.Body.WriteAsync(entries[0].Data, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var list = new DataFrameListProto();
        foreach (var entry in entries)
        {
            list.Index.Add(ToProto(entry, indexOnly: false));
        }

        await WriteProtoAsync(context, list).ConfigureAwait(false);
    }

    // ---- watch ------------------------------------------------------------------------------

    /// <summary>
    /// A WebSocket stream of <c>DataFrameProto</c> messages from <c>_index_</c> on, at most <c>_window_</c> sent and not
    /// yet committed (or deleted) at any time; with <c>_auto_commit_</c> each entry is committed once sent.
    /// </summary>
    private async Task WatchAsync(HttpContext context, string queue)
    {
        var query = context.Request.Query;
        var cursor = Math.Max(Integer(query, "_index_", 0), 0);
        var window = (int)Math.Clamp(Integer(query, "_window_", 1), 1, 10_000);
        var indexOnly = Flag(query, "_index_only_");
        var autoCommit = Flag(query, "_auto_commit_");
        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw new BadQueryException("_watch_=true needs a WebSocket upgrade (GET with Connection: Upgrade, Upgrade: websocket)");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var receiving = DrainIncomingAsync(socket, closing);
        var outstanding = new List<long>(window);
        try
        {
            while (!closing.IsCancellationRequested && socket.State == WebSocketState.Open)
            {
                var changed = store.NextChange(queue);
                if (outstanding.Count > 0)
                {
                    var still = await store.ExistingAsync(queue, outstanding, closing.Token).ConfigureAwait(false);
                    outstanding.Clear();
                    outstanding.AddRange(still);
                }

                var sent = 0;
                if (outstanding.Count < window)
                {
                    var entries = await store.ReadAsync(queue, cursor, window - outstanding.Count, null, closing.Token).ConfigureAwait(false);
                    foreach (var entry in entries)
                    {
                        var bytes = ToProto(entry, indexOnly).ToByteArray();
                        await socket.SendAsync(bytes, WebSocketMessageType.Binary, true, closing.Token).ConfigureAwait(false);
                        cursor = entry.Index + 1;
                        sent++;
                        if (autoCommit)
                        {
                            await store.RemoveAsync(queue, [entry.Index], CancellationToken.None).ConfigureAwait(false);
                        }
                        else
                        {
                            outstanding.Add(entry.Index);
                        }
                    }
                }

                if (sent == 0)
                {
                    await Task.WhenAny(changed, receiving, Task.Delay(TimeSpan.FromSeconds(5), time, closing.Token)).ConfigureAwait(false);
                }
            }

            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The watcher went away; what it had not committed is delivered again to the next one.
        }
        finally
        {
            await closing.CancelAsync().ConfigureAwait(false);
            await receiving.ConfigureAwait(false);
        }
    }

    /// <summary>Reads (and ignores) what the client sends — pings, keep-alive text — until it closes.</summary>
    private static async Task DrainIncomingAsync(WebSocket socket, CancellationTokenSource closing)
    {
        var buffer = new byte[1024];
        try
        {
            while (!closing.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, closing.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Closed either way.
        }

        await closing.CancelAsync().ConfigureAwait(false);
    }

    // ---- commit, delete, truncate -----------------------------------------------------------

    private async Task RemoveAsync(HttpContext context, string queue, string expected)
    {
        var text = context.Request.Query["_indexes_"].ToString();
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new BadQueryException("missing " + expected);
        }

        var indexes = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw new BadQueryException($"_indexes_: \"{part}\" is not an index (expected comma-separated integers)");
            }

            indexes.Add(index);
        }

        await store.RemoveAsync(queue, indexes, CancellationToken.None).ConfigureAwait(false);
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync("OK", context.RequestAborted).ConfigureAwait(false);
    }

    private async Task TruncateAsync(HttpContext context, string queue)
    {
        if (!context.Request.Query.ContainsKey("_index_"))
        {
            throw new BadQueryException("truncate needs _index_=N (every entry with an index below N is removed)");
        }

        await store.TruncateAsync(queue, Integer(context.Request.Query, "_index_", 0), CancellationToken.None).ConfigureAwait(false);
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync("OK", context.RequestAborted).ConfigureAwait(false);
    }

    // ---- attributes, search -----------------------------------------------------------------

    private async Task AttributesAsync(HttpContext context, string queue, QueueLimits limits)
    {
        var stats = store.Stats(queue);
        var first = await store.ReadAsync(queue, 0, 1, null, context.RequestAborted).ConfigureAwait(false);
        var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["meta.name"] = queue,
            ["meta.maxLength"] = limits.MaxLength.ToString(CultureInfo.InvariantCulture),
            ["meta.maxPayloadBytes"] = limits.MaxPayloadBytes.ToString(CultureInfo.InvariantCulture),
            ["stream.length"] = stats.Length.ToString(CultureInfo.InvariantCulture),
            ["stream.lastEntry"] = stats.LastIndex.ToString(CultureInfo.InvariantCulture),
            ["stream.firstEntry"] = (first.Count > 0 ? first[0].Index : 0).ToString(CultureInfo.InvariantCulture),
        };

        context.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (key, value) in attributes)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task SearchAsync(HttpContext context, string queue)
    {
        if (!context.Request.Query.ContainsKey("_index_"))
        {
            throw new BadQueryException("search needs _index_=N");
        }

        var index = Integer(context.Request.Query, "_index_", 0);
        var entry = await store.FindAsync(queue, index, context.RequestAborted).ConfigureAwait(false);
        if (entry is null)
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, $"queue \"{queue}\" holds no entry {index}").ConfigureAwait(false);
            return;
        }

        await WriteProtoAsync(context, ToProto(entry, indexOnly: false)).ConfigureAwait(false);
    }

    // ---- helpers ----------------------------------------------------------------------------

    internal static DataFrameProto ToProto(QueueEntry entry, bool indexOnly)
    {
        var frame = new DataFrameProto { Index = (ulong)entry.Index };
        foreach (var (k, v) in entry.Tags)
        {
            if (k == SinkTags.Message)
            {
                frame.Message = v;
            }
            else
            {
                frame.Tags[k] = v;
            }
        }

        if (!indexOnly)
        {
            frame.Data = ByteString.CopyFrom(entry.Data);
        }

        return frame;
    }

    private static async Task WriteProtoAsync(HttpContext context, IMessage message)
    {
        context.Response.ContentType = ProtobufType;
        var bytes = message.ToByteArray();
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static bool Flag(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var v) && (v.ToString().Equals("true", StringComparison.OrdinalIgnoreCase) || v.ToString() == "1");

    private static long Integer(IQueryCollection query, string name, long fallback)
    {
        if (!query.TryGetValue(name, out var v) || string.IsNullOrEmpty(v))
        {
            return fallback;
        }

        return long.TryParse(v.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new BadQueryException($"{name}: \"{v}\" is not an integer");
    }

    /// <summary>Reads <c>5s</c>, <c>500ms</c>, <c>1m</c> or a plain number of seconds.</summary>
    internal static TimeSpan Duration(IQueryCollection query, string name, TimeSpan fallback)
    {
        if (!query.TryGetValue(name, out var v) || string.IsNullOrWhiteSpace(v))
        {
            return fallback;
        }

        var text = v.ToString().Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new BadQueryException($"{name}: \"{text}\" is not a duration (e.g. 5s, 500ms, 1m)");
        }

        var span = TimeSpan.FromSeconds(value * unit);
        return span > MaxTimeout ? MaxTimeout : span;
    }

    internal static async Task ErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        await GatewayErrorResponse.WriteAsync(context, status, message).ConfigureAwait(false);
    }

    private sealed class BadQueryException(string message) : Exception(message);
}
