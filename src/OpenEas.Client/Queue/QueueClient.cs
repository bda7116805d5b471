using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using OpenEas.Contracts.Queue;

namespace OpenEas.Client.Queue;

/// <summary>A queue call was refused (full: 429, too large: 413, bad call: 400, unknown: 404, token: 401).</summary>
public sealed class QueueException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}

/// <summary>
/// A client of one queue of an async service, speaking the EAS queue protocol: the input queue is named after the
/// service (<c>ocr</c>), its results queue <c>ocr/sink</c>. The same calls EAS's own queue clients make.
/// </summary>
public sealed class QueueClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _url;
    private readonly string _token;

    public QueueClient(string endpoint, string queue, string token, HttpClient? http = null)
    {
        _url = new Uri(endpoint.TrimEnd('/') + "/api/predict/" + queue);
        _token = token;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Appends an entry; answers its index and request id (the tag results carry).</summary>
    public async Task<(long Index, string RequestId)> PutAsync(ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string>? tags = null,
        CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Post, Query(tags));
        request.Content = new ReadOnlyMemoryContent(data);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var requestId = response.Headers.TryGetValues("X-Eas-Queueservice-Request-Id", out var values) ? values.First() : "";
        return (long.Parse(text.Trim(), CultureInfo.InvariantCulture), requestId);
    }

    /// <summary>Up to <paramref name="length"/> entries from <paramref name="index"/> on, waiting up to <paramref name="timeout"/> for one.</summary>
    public async Task<IReadOnlyList<DataFrameProto>> GetAsync(long index = 0, int length = 1, TimeSpan? timeout = null, bool autoDelete = false,
        string? requestId = null, CancellationToken ct = default)
    {
        var query = new Dictionary<string, string>
        {
            ["_index_"] = index.ToString(CultureInfo.InvariantCulture),
            ["_length_"] = length.ToString(CultureInfo.InvariantCulture),
            ["_timeout_"] = ((timeout ?? TimeSpan.FromSeconds(5)).TotalMilliseconds).ToString("0", CultureInfo.InvariantCulture) + "ms",
            ["_raw_"] = "false",
            ["_auto_delete_"] = autoDelete ? "true" : "false",
        };
        if (requestId is not null)
        {
            query["requestId"] = requestId;
        }

        using var request = Request(HttpMethod.Get, Query(query));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.google.protobuf"));
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return [];
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return DataFrameListProto.Parser.ParseFrom(bytes).Index;
    }

    /// <summary>Acknowledges entries: they leave the queue (and free their watch window slots).</summary>
    public Task CommitAsync(IEnumerable<long> indexes, CancellationToken ct = default) =>
        SimpleAsync(HttpMethod.Put, "?_indexes_=" + string.Join(',', indexes), ct);

    public Task DeleteAsync(IEnumerable<long> indexes, CancellationToken ct = default) =>
        SimpleAsync(HttpMethod.Delete, "?_indexes_=" + string.Join(',', indexes), ct);

    /// <summary>Removes every entry with an index below <paramref name="index"/>.</summary>
    public Task TruncateAsync(long index, CancellationToken ct = default) =>
        SimpleAsync(HttpMethod.Delete, $"?_index_={index.ToString(CultureInfo.InvariantCulture)}&_trunc_=true", ct);

    /// <summary>The queue's attributes (<c>stream.length</c>, <c>stream.lastEntry</c>, <c>meta.maxPayloadBytes</c>, ...).</summary>
    public async Task<IReadOnlyDictionary<string, string>> AttributesAsync(CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Get, "?_attrs_=true");
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            map[p.Name] = p.Value.GetString() ?? "";
        }

        return map;
    }

    /// <summary>The entry with that index, or null when the queue does not hold it.</summary>
    public async Task<DataFrameProto?> SearchAsync(long index, CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Get, $"?_search_=true&_index_={index.ToString(CultureInfo.InvariantCulture)}");
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureAsync(response, ct).ConfigureAwait(false);
        return DataFrameProto.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Streams entries from <paramref name="index"/> on over a WebSocket; the server keeps at most <paramref name="window"/>
    /// sent and uncommitted. Commit what you processed (or ask for <paramref name="autoCommit"/>).
    /// </summary>
    public async IAsyncEnumerable<DataFrameProto> WatchAsync(long index = 0, int window = 1, bool indexOnly = false, bool autoCommit = false,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var ws = new UriBuilder(_url) { Scheme = _url.Scheme == "https" ? "wss" : "ws" };
        ws.Query = string.Create(CultureInfo.InvariantCulture,
            $"_watch_=true&_index_={index}&_window_={window}&_index_only_={(indexOnly ? "true" : "false")}&_auto_commit_={(autoCommit ? "true" : "false")}");
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", _token);
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(2);
        await socket.ConnectAsync(ws.Uri, _http, ct).ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            var result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                yield break;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                yield return DataFrameProto.Parser.ParseFrom(message.ToArray());
                message.SetLength(0);
            }
        }
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task SimpleAsync(HttpMethod method, string query, CancellationToken ct)
    {
        using var request = Request(method, query);
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
    }

    private HttpRequestMessage Request(HttpMethod method, string query)
    {
        var request = new HttpRequestMessage(method, new Uri(_url + query));
        request.Headers.TryAddWithoutValidation("Authorization", _token);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        try
        {
            await EnsureAsync(response, ct).ConfigureAwait(false);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var message = body;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("message", out var m))
            {
                message = m.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
            // Not a JSON error body: keep the text.
        }

        throw new QueueException(response.StatusCode, $"{(int)response.StatusCode}: {message}");
    }

    private static string Query(IReadOnlyDictionary<string, string>? values)
    {
        if (values is null || values.Count == 0)
        {
            return "";
        }

        var sb = new StringBuilder();
        foreach (var (k, v) in values)
        {
            sb.Append(sb.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(k)).Append('=').Append(Uri.EscapeDataString(v));
        }

        return sb.ToString();
    }
}
