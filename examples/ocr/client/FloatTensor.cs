namespace OpenEas.Examples.Ocr;

/// <summary>A dense float32 tensor in row-major order: what both OCR models take and give.</summary>
internal sealed class FloatTensor
{
    public FloatTensor(float[] data, int[] shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }

        if (count != data.Length)
        {
            throw new ArgumentException($"shape [{string.Join(",", shape)}] holds {count} values, got {data.Length}", nameof(data));
        }

        Data = data;
        Shape = shape;
    }

    public float[] Data { get; }

    public int[] Shape { get; }

    public override string ToString() => $"float32[{string.Join(",", Shape)}]";
}
