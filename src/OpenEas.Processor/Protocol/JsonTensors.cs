using System.Buffers.Binary;
using System.Text.Json;

namespace OpenEas.Processor.Protocol;

/// <summary>Tensor elements to and from JSON numbers (nested arrays, or flat with a shape).</summary>
public static class JsonTensors
{
    /// <summary>The shape of a nested array (<c>[[1,2],[3,4]]</c> → <c>[2,2]</c>); a scalar has rank 0.</summary>
    public static long[] NestedShape(JsonElement value, string name)
    {
        var shape = new List<long>();
        var e = value;
        while (e.ValueKind == JsonValueKind.Array)
        {
            var n = e.GetArrayLength();
            shape.Add(n);
            if (n == 0)
            {
                break;
            }

            e = e[0];
        }

        if (shape.Count == 0 && value.ValueKind is not (JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
        {
            throw new BadInputException($"input '{name}': expected a number or nested arrays of numbers, got {value.ValueKind}");
        }

        return [.. shape];
    }

    /// <summary>Reads <paramref name="value"/> (nested arrays, or flat when <paramref name="flatOk"/>) as <paramref name="count"/> elements of <paramref name="type"/>.</summary>
    public static byte[] Read(JsonElement value, TensorType type, long count, string name, bool flatOk)
    {
        var size = TensorTypes.Size(type);
        var data = new byte[count * size];
        var written = 0L;
        Fill(value, type, data, ref written, count, name, flatOk);
        if (written != count)
        {
            throw new BadInputException($"input '{name}': the shape holds {count} elements but the data has {written}");
        }

        return data;
    }

    private static void Fill(JsonElement value, TensorType type, byte[] data, ref long written, long count, string name, bool flatOk)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
            {
                Fill(item, type, data, ref written, count, name, flatOk);
            }

            return;
        }

        if (written >= count)
        {
            throw new BadInputException($"input '{name}': the data has more elements than the shape holds ({count}); nested arrays must be rectangular");
        }

        WriteElement(data.AsSpan((int)(written * TensorTypes.Size(type))), type, value, name);
        written++;
    }

    private static void WriteElement(Span<byte> dst, TensorType type, JsonElement v, string name)
    {
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            if (type != TensorType.Bool)
            {
                throw new BadInputException($"input '{name}': true/false given but the model expects {TensorTypes.V2Name(type)} numbers");
            }

            dst[0] = v.GetBoolean() ? (byte)1 : (byte)0;
            return;
        }

        if (v.ValueKind != JsonValueKind.Number)
        {
            throw new BadInputException($"input '{name}': expected numbers ({TensorTypes.V2Name(type)}), got {v.ValueKind}");
        }

        var ok = type switch
        {
            TensorType.Float => v.TryGetDouble(out var d) && Set(dst, (float)d),
            TensorType.Double => v.TryGetDouble(out var d) && Set(dst, d),
            TensorType.Float16 => v.TryGetDouble(out var d) && Set(dst, (Half)d),
            TensorType.Int8 => v.TryGetSByte(out var x) && Set(dst, (byte)x),
            TensorType.UInt8 => v.TryGetByte(out var x) && Set(dst, x),
            TensorType.Bool => v.TryGetByte(out var x) && x <= 1 && Set(dst, x),
            TensorType.Int16 => v.TryGetInt16(out var x) && Set(dst, x),
            TensorType.UInt16 => v.TryGetUInt16(out var x) && Set(dst, x),
            TensorType.Int32 => v.TryGetInt32(out var x) && Set(dst, x),
            TensorType.UInt32 => v.TryGetUInt32(out var x) && Set(dst, x),
            TensorType.Int64 => v.TryGetInt64(out var x) && Set(dst, x),
            TensorType.UInt64 => v.TryGetUInt64(out var x) && Set(dst, x),
            _ => false,
        };
        if (!ok)
        {
            throw new BadInputException($"input '{name}': {v.GetRawText()} is not a valid {TensorTypes.V2Name(type)} value");
        }
    }

    // Tensors are little-endian on the wire and in ONNX Runtime; the processor runs on little-endian hosts only
    // (x64, arm64), where an element's in-memory bytes are its wire bytes.
    private static bool Set<T>(Span<byte> dst, T v)
        where T : unmanaged
    {
        System.Runtime.InteropServices.MemoryMarshal.Write(dst, in v);
        return true;
    }

    /// <summary>Writes the tensor's elements as nested arrays following its shape (a scalar as a number).</summary>
    public static void WriteNested(Utf8JsonWriter w, Tensor t)
    {
        var index = 0L;
        WriteLevel(w, t, 0, ref index);
    }

    private static void WriteLevel(Utf8JsonWriter w, Tensor t, int dim, ref long index)
    {
        if (dim == t.Shape.Length)
        {
            WriteValue(w, t.Type, t.Data, index++);
            return;
        }

        w.WriteStartArray();
        for (var i = 0L; i < t.Shape[dim]; i++)
        {
            WriteLevel(w, t, dim + 1, ref index);
        }

        w.WriteEndArray();
    }

    /// <summary>Writes the tensor's elements as one flat array.</summary>
    public static void WriteFlat(Utf8JsonWriter w, Tensor t)
    {
        w.WriteStartArray();
        var count = t.ElementCount;
        for (var i = 0L; i < count; i++)
        {
            WriteValue(w, t.Type, t.Data, i);
        }

        w.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter w, TensorType type, byte[] data, long index)
    {
        var s = data.AsSpan((int)(index * TensorTypes.Size(type)));
        switch (type)
        {
            case TensorType.Float:
                WriteReal(w, BinaryPrimitives.ReadSingleLittleEndian(s));
                break;
            case TensorType.Double:
                WriteReal(w, BinaryPrimitives.ReadDoubleLittleEndian(s));
                break;
            case TensorType.Float16:
                WriteReal(w, (float)BinaryPrimitives.ReadHalfLittleEndian(s));
                break;
            case TensorType.Bool:
                w.WriteBooleanValue(s[0] != 0);
                break;
            case TensorType.UInt8:
                w.WriteNumberValue(s[0]);
                break;
            case TensorType.Int8:
                w.WriteNumberValue((sbyte)s[0]);
                break;
            case TensorType.Int16:
                w.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(s));
                break;
            case TensorType.UInt16:
                w.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(s));
                break;
            case TensorType.Int32:
                w.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(s));
                break;
            case TensorType.UInt32:
                w.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(s));
                break;
            case TensorType.Int64:
                w.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(s));
                break;
            case TensorType.UInt64:
                w.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(s));
                break;
            default:
                throw new InvalidOperationException($"unsupported element type {type}");
        }
    }

    // JSON has no NaN or infinity: they are written as null.
    private static void WriteReal(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v))
        {
            w.WriteNumberValue(v);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static void WriteReal(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v))
        {
            w.WriteNumberValue(v);
        }
        else
        {
            w.WriteNullValue();
        }
    }
}
