using Google.Protobuf;
using OpenEas.TestModels.Onnx;

namespace OpenEas.TestModels;

/// <summary>
/// Writes a small ONNX multi-layer perceptron: <c>x</c> FP32 [batch, inputs] → Gemm → Relu → Gemm → <c>y</c> FP32
/// [batch, outputs], with deterministic weights and a dynamic batch dimension.
/// </summary>
public static class MlpModel
{
    public const string Input = "x";
    public const string Output = "y";

    /// <param name="hiddenLayers">Gemm + Relu layers of width <paramref name="hidden"/> before the output layer.</param>
    public static void Write(string path, int inputs = 16, int hidden = 64, int outputs = 8, int seed = 1, int hiddenLayers = 1)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "mlp" };
        var previous = Input;
        var width = inputs;
        for (var i = 1; i <= hiddenLayers; i++)
        {
            graph.Initializer.Add(Weights($"w{i}", [width, hidden], random));
            graph.Initializer.Add(Weights($"b{i}", [hidden], random));
            graph.Node.Add(Node("Gemm", $"gemm{i}", [previous, $"w{i}", $"b{i}"], $"h{i}"));
            graph.Node.Add(Node("Relu", $"relu{i}", [$"h{i}"], $"r{i}"));
            (previous, width) = ($"r{i}", hidden);
        }

        graph.Initializer.Add(Weights("wout", [width, outputs], random));
        graph.Initializer.Add(Weights("bout", [outputs], random));
        graph.Node.Add(Node("Gemm", "gemmout", [previous, "wout", "bout"], Output));
        graph.Input.Add(Value(Input, inputs));
        graph.Output.Add(Value(Output, outputs));
        var model = new ModelProto { IrVersion = 8, ProducerName = "openeas-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        File.WriteAllBytes(path, model.ToByteArray());
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static TensorProto Weights(string name, long[] dims, Random random)
    {
        long count = 1;
        foreach (var d in dims)
        {
            count *= d;
        }

        var values = new float[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * 0.5f;
        }

        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        var t = new TensorProto { Name = name, DataType = 1, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static ValueInfoProto Value(string name, long width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } },
        };
    }
}
