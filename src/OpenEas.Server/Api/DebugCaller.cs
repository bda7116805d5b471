using System.Diagnostics;
using System.Text;
using OpenEas.Contracts;
using OpenEas.Core.Control;
using OpenEas.Core.Hosting;

namespace OpenEas.Server.Api;

/// <summary>
/// Online debugging: makes one call to a service through this server's own gateway, exactly as a client
/// would (token, path, headers), and reports status, headers, body and timing.
/// </summary>
internal sealed class DebugCaller(EasCoreOptions options) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<DebugResponse> CallAsync(string service, string token, DebugRequest call, CancellationToken ct)
    {
        HttpMethod method;
        try
        {
            method = HttpMethod.Parse(string.IsNullOrWhiteSpace(call.Method) ? "POST" : call.Method.Trim().ToUpperInvariant());
        }
        catch (FormatException)
        {
            throw new ControlException(400, ErrorCodes.BadRequest, $"method: \"{call.Method}\" is not an HTTP method", [new SpecIssue("method", "not an HTTP method")]);
        }

        byte[] body;
        try
        {
            body = call.BodyBase64 is { Length: > 0 } b64 ? Convert.FromBase64String(b64) : Encoding.UTF8.GetBytes(call.Body ?? "");
        }
        catch (FormatException)
        {
            throw new ControlException(400, ErrorCodes.BadRequest, "bodyBase64: not valid base64", [new SpecIssue("bodyBase64", "not valid base64")]);
        }

        var url = $"{options.PublicEndpoint.TrimEnd('/')}/api/predict/{Uri.EscapeDataString(service)}";
        if (!string.IsNullOrEmpty(call.Path))
        {
            url += "/" + call.Path.TrimStart('/');
        }

        using var request = new HttpRequestMessage(method, url);
        if (body.Length > 0 || method == HttpMethod.Post || method == HttpMethod.Put || method == HttpMethod.Patch)
        {
            request.Content = new ByteArrayContent(body);
        }

        request.Headers.TryAddWithoutValidation("Authorization", token);
        foreach (var (key, value) in call.Headers)
        {
            if (key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Remove("Authorization");
            }

            if (!request.Headers.TryAddWithoutValidation(key, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(key, value);
            }
        }

        var started = Stopwatch.GetTimestamp();
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var h in response.Headers.Concat(response.Content.Headers))
        {
            headers[h.Key] = string.Join(", ", h.Value);
        }

        string? text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            text = null;
        }

        return new DebugResponse
        {
            Status = (int)response.StatusCode,
            Headers = headers,
            Body = text,
            BodyBase64 = Convert.ToBase64String(bytes),
            ElapsedMs = Math.Round(elapsed.TotalMilliseconds, 3),
        };
    }

    public void Dispose() => _http.Dispose();
}
