using System.Globalization;

namespace OpenEas.Processor.Protocol;

/// <summary>One named tensor: element type, shape and the elements as little-endian bytes (row-major).</summary>
public sealed record Tensor(string Name, TensorType Type, long[] Shape, byte[] Data)
{
    public long ElementCount => Elements(Shape);

    public static long Elements(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            n *= d;
        }

        return n;
    }

    /// <summary><c>[2,3]</c>; -1 for a dimension of any size.</summary>
    public static string FormatShape(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(",", parts) + "]";
    }
}

/// <summary>A request the caller got wrong: answered with 400 and this message (it names the input).</summary>
public sealed class BadInputException : Exception
{
    public BadInputException()
    {
    }

    public BadInputException(string message)
        : base(message)
    {
    }

    public BadInputException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
