using System.Buffers;
using System.Text.Json;
using Google.Protobuf;

namespace OpenEas.Processor.Protocol;

/// <summary>
/// The EAS ONNX processor's protocol at <c>POST /</c>: a protobuf <c>DataProto</c> of input tensors answered with a
/// <c>DataProto</c> of outputs, or JSON <c>{"inputs": {"name": nested arrays}}</c> answered with
/// <c>{"outputs": {"name": nested arrays}}</c>. A body starting with <c>{</c> is JSON.
/// </summary>
public static class EasProtocol
{
    public static bool IsJson(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b == (byte)'{';
        }

        return false;
    }

    public static List<Tensor> ReadProtobuf(ReadOnlyMemory<byte> body)
    {
        DataProto proto;
        try
        {
            proto = DataProto.Parser.ParseFrom(body.Span);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new BadInputException($"the body is neither JSON nor a valid DataProto protobuf: {ex.Message}");
        }

        var tensors = new List<Tensor>(proto.Tensors.Count);
        foreach (var t in proto.Tensors)
        {
            if (!TensorTypes.IsKnown(t.DataType))
            {
                throw new BadInputException($"input '{t.Name}': data_type {t.DataType} is not supported (FLOAT=1, UINT8=2, INT8=3, UINT16=4, INT16=5, INT32=6, INT64=7, BOOL=9, FLOAT16=10, DOUBLE=11, UINT32=12, UINT64=13)");
            }

            tensors.Add(new Tensor(t.Name, (TensorType)t.DataType, [.. t.Dims], Bytes(t.RawData)));
        }

        return tensors;
    }

    /// <summary>
    /// A parsed bytes field's own array (the parser copied it out of the body and nothing else refers to it), so an
    /// input tensor of hundreds of KB is not copied once more.
    /// </summary>
    private static byte[] Bytes(ByteString field) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(field.Memory, out var segment)
        && segment is { Array: { } array, Offset: 0 } && segment.Count == array.Length
            ? array
            : field.ToByteArray();

    public static byte[] WriteProtobuf(IReadOnlyList<Tensor> outputs) => ToProto(outputs).ToByteArray();

    /// <summary>The outputs as a <c>DataProto</c> whose tensors wrap the output arrays (serialized into a pooled buffer, not a new array per call).</summary>
    public static DataProto ToProto(IReadOnlyList<Tensor> outputs)
    {
        var proto = new DataProto();
        foreach (var t in outputs)
        {
            // The output arrays are not touched again: wrap them instead of copying (outputs can be megabytes).
            var p = new TensorProto { Name = t.Name, DataType = (int)t.Type, RawData = UnsafeByteOperations.UnsafeWrap(t.Data) };
            p.Dims.AddRange(t.Shape);
            proto.Tensors.Add(p);
        }

        return proto;
    }

    /// <summary>Reads <c>{"inputs": {...}}</c>; element types come from the model (<paramref name="typeOf"/>).</summary>
    public static List<Tensor> ReadJson(ReadOnlyMemory<byte> body, Func<string, TensorType?> typeOf)
    {
        using var doc = Parse(body);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("inputs", out var inputs)
            || inputs.ValueKind != JsonValueKind.Object)
        {
            throw new BadInputException("expected a JSON object {\"inputs\": {\"<input name>\": <nested arrays>}}");
        }

        var tensors = new List<Tensor>();
        foreach (var p in inputs.EnumerateObject())
        {
            var shape = JsonTensors.NestedShape(p.Value, p.Name);
            // An unknown name still becomes a tensor, so the model check names it along with what is expected.
            var type = typeOf(p.Name) ?? TensorType.Float;
            tensors.Add(new Tensor(p.Name, type, shape, JsonTensors.Read(p.Value, type, Tensor.Elements(shape), p.Name, flatOk: false)));
        }

        return tensors;
    }

    public static byte[] WriteJson(IReadOnlyList<Tensor> outputs)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("outputs");
            foreach (var t in outputs)
            {
                w.WritePropertyName(t.Name);
                JsonTensors.WriteNested(w, t);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    internal static JsonDocument Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new BadInputException($"the body is not valid JSON: {ex.Message}");
        }
    }
}
