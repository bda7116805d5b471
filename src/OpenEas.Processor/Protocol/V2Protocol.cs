using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace OpenEas.Processor.Protocol;

/// <summary>A parsed Open Inference Protocol (KServe v2) infer request.</summary>
public sealed record V2Request(string? Id, List<Tensor> Inputs, IReadOnlyList<V2Output> Outputs, bool BinaryOutputs);

/// <summary>An output the caller asked for, and whether as binary data.</summary>
public sealed record V2Output(string Name, bool? Binary);

/// <summary>
/// The Open Inference Protocol v2 (<c>/v2/models/{m}/infer</c>): JSON tensors, and the binary tensor extension
/// (<c>Inference-Header-Content-Length</c>: the JSON header is followed by the raw tensors named by
/// <c>parameters.binary_data_size</c>; outputs asked for with <c>parameters.binary_data</c> come back the same way).
/// </summary>
public static class V2Protocol
{
    public const string HeaderLength = "Inference-Header-Content-Length";

    /// <param name="headerLength">The JSON header's length when the binary extension is used; null for plain JSON.</param>
    public static V2Request Read(ReadOnlyMemory<byte> body, int? headerLength)
    {
        if (headerLength is { } h && (h < 0 || h > body.Length))
        {
            throw new BadInputException($"{HeaderLength} is {h} but the body has {body.Length} bytes");
        }

        var json = headerLength is { } n ? body[..n] : body;
        var binary = headerLength is { } m ? body[m..] : ReadOnlyMemory<byte>.Empty;
        using var doc = EasProtocol.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            throw new BadInputException("expected a JSON object with \"inputs\": [{\"name\", \"shape\", \"datatype\", \"data\"}]");
        }

        var tensors = new List<Tensor>();
        var offset = 0;
        foreach (var input in inputs.EnumerateArray())
        {
            var name = input.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String ? nm.GetString()! : "";
            if (name.Length == 0)
            {
                throw new BadInputException($"inputs[{tensors.Count}]: name is required");
            }

            if (!input.TryGetProperty("datatype", out var dt) || dt.ValueKind != JsonValueKind.String || !TensorTypes.TryParseV2(dt.GetString()!, out var type))
            {
                throw new BadInputException($"input '{name}': datatype must be one of {string.Join(", ", TensorTypes.All.Select(TensorTypes.V2Name))}");
            }

            if (!input.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            {
                throw new BadInputException($"input '{name}': shape is required (an array of sizes)");
            }

            var shape = new long[sh.GetArrayLength()];
            var i = 0;
            foreach (var d in sh.EnumerateArray())
            {
                if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var size) || size < 0)
                {
                    throw new BadInputException($"input '{name}': shape must hold sizes >= 0");
                }

                shape[i++] = size;
            }

            var count = Tensor.Elements(shape);
            byte[] data;
            if (input.TryGetProperty("parameters", out var ps) && ps.ValueKind == JsonValueKind.Object
                && ps.TryGetProperty("binary_data_size", out var bs))
            {
                if (headerLength is null)
                {
                    throw new BadInputException($"input '{name}': binary_data_size needs the {HeaderLength} header");
                }

                if (!bs.TryGetInt32(out var size) || size < 0 || offset + size > binary.Length)
                {
                    throw new BadInputException($"input '{name}': binary_data_size {bs.GetRawText()} runs past the binary data ({binary.Length - offset} bytes left)");
                }

                data = binary.Slice(offset, size).ToArray();
                offset += size;
            }
            else if (input.TryGetProperty("data", out var values))
            {
                data = JsonTensors.Read(values, type, count, name, flatOk: true);
            }
            else
            {
                throw new BadInputException($"input '{name}': give data, or parameters.binary_data_size with the binary extension");
            }

            tensors.Add(new Tensor(name, type, shape, data));
        }

        var binaryAll = root.TryGetProperty("parameters", out var rp) && rp.ValueKind == JsonValueKind.Object
            && rp.TryGetProperty("binary_data_output", out var bo) && bo.ValueKind == JsonValueKind.True;
        var outputs = new List<V2Output>();
        if (root.TryGetProperty("outputs", out var outs) && outs.ValueKind == JsonValueKind.Array)
        {
            foreach (var o in outs.EnumerateArray())
            {
                var name = o.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String ? nm.GetString()! : "";
                bool? binaryOut = o.TryGetProperty("parameters", out var op) && op.ValueKind == JsonValueKind.Object
                    && op.TryGetProperty("binary_data", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? b.GetBoolean() : null;
                outputs.Add(new V2Output(name, binaryOut));
            }
        }

        var id = root.TryGetProperty("id", out var idv) && idv.ValueKind == JsonValueKind.String ? idv.GetString() : null;
        return new V2Request(id, tensors, outputs, binaryAll);
    }

    /// <summary>Writes the response; returns the body and, when some outputs are binary, the JSON header's length.</summary>
    public static (byte[] Body, int? HeaderLength) Write(string model, V2Request request, IReadOnlyList<Tensor> outputs)
    {
        var selected = new List<(Tensor Tensor, bool Binary)>();
        if (request.Outputs.Count == 0)
        {
            foreach (var t in outputs)
            {
                selected.Add((t, request.BinaryOutputs));
            }
        }
        else
        {
            foreach (var o in request.Outputs)
            {
                var t = outputs.FirstOrDefault(x => x.Name == o.Name)
                    ?? throw new BadInputException($"output '{o.Name}' is not an output of the model; it has {string.Join(", ", outputs.Select(x => "'" + x.Name + "'"))}");
                selected.Add((t, o.Binary ?? request.BinaryOutputs));
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        var anyBinary = false;
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model_name", model);
            w.WriteString("model_version", "1");
            if (request.Id is { } id)
            {
                w.WriteString("id", id);
            }

            w.WriteStartArray("outputs");
            foreach (var (t, binary) in selected)
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteString("datatype", TensorTypes.V2Name(t.Type));
                w.WriteStartArray("shape");
                foreach (var d in t.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                if (binary)
                {
                    anyBinary = true;
                    w.WriteStartObject("parameters");
                    w.WriteNumber("binary_data_size", t.Data.Length);
                    w.WriteEndObject();
                }
                else
                {
                    w.WritePropertyName("data");
                    JsonTensors.WriteFlat(w, t);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        if (!anyBinary)
        {
            return (buffer.WrittenSpan.ToArray(), null);
        }

        var header = buffer.WrittenCount;
        foreach (var (t, binary) in selected)
        {
            if (binary)
            {
                buffer.Write(t.Data);
            }
        }

        return (buffer.WrittenSpan.ToArray(), header);
    }

    public static int? ParseHeaderLength(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n : throw new BadInputException($"{HeaderLength} must be a byte count, got \"{value}\"");
    }
}
