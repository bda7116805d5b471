using System.Buffers.Binary;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace OpenEas.Examples.Ocr;

/// <summary>
/// Runs a model deployed as an OpenEAS ONNX processor service, through the gateway, with the Open Inference
/// Protocol v2 and its binary tensor extension: <c>POST /api/predict/&lt;svc&gt;/v2/models/&lt;svc&gt;/infer</c>,
/// a JSON header of <c>Inference-Header-Content-Length</c> bytes followed by the raw little-endian tensor.
/// The input and output names come from the model's metadata (<c>GET …/v2/models/&lt;svc&gt;</c>) on first use.
/// </summary>
internal sealed class RemoteOcrModel : IOcrModel
{
    private const string HeaderLength = "Inference-Header-Content-Length";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _service;
    private readonly string _token;
    private readonly Uri _model;
    private readonly SemaphoreSlim _metadataLock = new(1, 1);
    private (string Input, string Output)? _names;

    public RemoteOcrModel(string endpoint, string service, string token, HttpClient? http = null)
    {
        _service = service;
        _token = token;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(120) };
        _model = new Uri(endpoint.TrimEnd('/') + "/api/predict/" + Uri.EscapeDataString(service) + "/v2/models/" + Uri.EscapeDataString(service));
    }

    public async Task<FloatTensor> RunAsync(FloatTensor input, CancellationToken ct = default)
    {
        var (inputName, outputName) = await NamesAsync(ct).ConfigureAwait(false);
        var header = InferHeader(inputName, outputName, input);
        var body = new byte[header.Length + input.Data.Length * sizeof(float)];
        header.CopyTo(body, 0);
        WriteFloats(input.Data, body.AsSpan(header.Length));

        using var request = new HttpRequestMessage(HttpMethod.Post, _model + "/infer") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.TryAddWithoutValidation(HeaderLength, header.Length.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("Authorization", _token);
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new OcrException($"service {_service} answered {(int)response.StatusCode}: {ErrorText(bytes)}");
        }

        return ParseInferResponse(bytes, HeaderLengthOf(response), outputName);
    }

    /// <summary>Reads a v2 infer response: the binary form (JSON header + raw output) or plain JSON with <c>data</c>.</summary>
    internal static FloatTensor ParseInferResponse(byte[] body, int? headerLength, string output)
    {
        var jsonLength = headerLength ?? body.Length;
        using var doc = JsonDocument.Parse(body.AsMemory(0, jsonLength));
        var offset = jsonLength;
        foreach (var o in doc.RootElement.GetProperty("outputs").EnumerateArray())
        {
            var shape = ReadShape(o.GetProperty("shape"));
            var size = o.TryGetProperty("parameters", out var p) && p.TryGetProperty("binary_data_size", out var s) ? s.GetInt32() : -1;
            if (o.GetProperty("name").GetString() != output)
            {
                offset += Math.Max(size, 0);
                continue;
            }

            var datatype = o.GetProperty("datatype").GetString();
            if (datatype != "FP32")
            {
                throw new OcrException($"output {output} is {datatype}, expected FP32");
            }

            if (size >= 0)
            {
                if (offset + size > body.Length || size % sizeof(float) != 0)
                {
                    throw new OcrException($"output {output}: binary_data_size {size} does not fit the {body.Length - offset} bytes received");
                }

                return new FloatTensor(ReadFloats(body.AsSpan(offset, size)), shape);
            }

            var data = o.GetProperty("data");
            var values = new float[data.GetArrayLength()];
            var i = 0;
            foreach (var v in data.EnumerateArray())
            {
                values[i++] = v.GetSingle();
            }

            return new FloatTensor(values, shape);
        }

        throw new OcrException($"the response has no output {output}");
    }

    internal static byte[] InferHeader(string input, string output, FloatTensor tensor)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("inputs");
            json.WriteStartObject();
            json.WriteString("name", input);
            json.WriteStartArray("shape");
            foreach (var d in tensor.Shape)
            {
                json.WriteNumberValue(d);
            }

            json.WriteEndArray();
            json.WriteString("datatype", "FP32");
            json.WriteStartObject("parameters");
            json.WriteNumber("binary_data_size", tensor.Data.Length * sizeof(float));
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartArray("outputs");
            json.WriteStartObject();
            json.WriteString("name", output);
            json.WriteStartObject("parameters");
            json.WriteBoolean("binary_data", true);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private async Task<(string Input, string Output)> NamesAsync(CancellationToken ct)
    {
        if (_names is { } known)
        {
            return known;
        }

        await _metadataLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_names is null)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, _model);
                request.Headers.TryAddWithoutValidation("Authorization", _token);
                using var response = await SendAsync(request, ct).ConfigureAwait(false);
                var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new OcrException($"service {_service} answered {(int)response.StatusCode} for its model metadata: {ErrorText(bytes)}");
                }

                using var doc = JsonDocument.Parse(bytes);
                var input = doc.RootElement.GetProperty("inputs")[0].GetProperty("name").GetString();
                var output = doc.RootElement.GetProperty("outputs")[0].GetProperty("name").GetString();
                _names = (input ?? throw new OcrException($"service {_service}: model metadata names no input"),
                          output ?? throw new OcrException($"service {_service}: model metadata names no output"));
            }

            return _names.Value;
        }
        finally
        {
            _metadataLock.Release();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new OcrException($"cannot reach {request.RequestUri}: {e.Message}", e);
        }
    }

    private static int? HeaderLengthOf(HttpResponseMessage response)
    {
        IEnumerable<string>? values = null;
        if (response.Headers.TryGetValues(HeaderLength, out values) || response.Content.Headers.TryGetValues(HeaderLength, out values))
        {
            foreach (var v in values)
            {
                if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    return n;
                }
            }
        }

        return null;
    }

    /// <summary>The message of a gateway (<c>{code, message}</c>) or v2 (<c>{error}</c>) error body, else its text.</summary>
    private static string ErrorText(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var key in (string[])["message", "error", "detail", "title"])
                {
                    if (doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String)
                    {
                        return v.GetString()!;
                    }
                }
            }
        }
        catch (JsonException)
        {
        }

        var text = Encoding.UTF8.GetString(body).Trim();
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    private static int[] ReadShape(JsonElement shape)
    {
        var dims = new int[shape.GetArrayLength()];
        var i = 0;
        foreach (var d in shape.EnumerateArray())
        {
            dims[i++] = d.GetInt32();
        }

        return dims;
    }

    private static void WriteFloats(float[] values, Span<byte> target)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(target);
            return;
        }

        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(target[(i * 4)..], values[i]);
        }
    }

    private static float[] ReadFloats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }

        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
        }

        return values;
    }

    public void Dispose()
    {
        _metadataLock.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
