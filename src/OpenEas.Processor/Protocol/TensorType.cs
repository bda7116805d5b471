namespace OpenEas.Processor.Protocol;

/// <summary>A tensor element type: ONNX's <c>TensorProto.DataType</c> numbers (the EAS protobuf's <c>data_type</c>).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "the names are ONNX's element type names")]
public enum TensorType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
}

/// <summary>Sizes and names of <see cref="TensorType"/> in each protocol.</summary>
public static class TensorTypes
{
    /// <summary>Bytes per element; 0 for a number that is not a supported type.</summary>
    public static int Size(TensorType type) => type switch
    {
        TensorType.Float or TensorType.Int32 or TensorType.UInt32 => 4,
        TensorType.UInt8 or TensorType.Int8 or TensorType.Bool => 1,
        TensorType.UInt16 or TensorType.Int16 or TensorType.Float16 => 2,
        TensorType.Int64 or TensorType.Double or TensorType.UInt64 => 8,
        _ => 0,
    };

    public static bool IsKnown(int number) => Size((TensorType)number) > 0;

    /// <summary>The Open Inference Protocol (KServe v2) datatype name.</summary>
    public static string V2Name(TensorType type) => type switch
    {
        TensorType.Float => "FP32",
        TensorType.UInt8 => "UINT8",
        TensorType.Int8 => "INT8",
        TensorType.UInt16 => "UINT16",
        TensorType.Int16 => "INT16",
        TensorType.Int32 => "INT32",
        TensorType.Int64 => "INT64",
        TensorType.Bool => "BOOL",
        TensorType.Float16 => "FP16",
        TensorType.Double => "FP64",
        TensorType.UInt32 => "UINT32",
        TensorType.UInt64 => "UINT64",
        _ => "?",
    };

    public static bool TryParseV2(string name, out TensorType type)
    {
        foreach (var t in All)
        {
            if (string.Equals(V2Name(t), name, StringComparison.OrdinalIgnoreCase))
            {
                type = t;
                return true;
            }
        }

        type = default;
        return false;
    }

    /// <summary>A readable name with the ONNX number, for error messages (<c>FP32 (1)</c>).</summary>
    public static string Describe(TensorType type) => $"{V2Name(type)} ({(int)type})";

    public static readonly TensorType[] All =
    [
        TensorType.Float, TensorType.UInt8, TensorType.Int8, TensorType.UInt16, TensorType.Int16, TensorType.Int32,
        TensorType.Int64, TensorType.Bool, TensorType.Float16, TensorType.Double, TensorType.UInt32, TensorType.UInt64,
    ];
}
