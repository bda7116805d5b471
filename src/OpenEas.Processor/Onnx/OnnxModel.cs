using Microsoft.ML.OnnxRuntime;
using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using OpenEas.Processor.Protocol;

namespace OpenEas.Processor.Onnx;

/// <summary>An input or output of the model: its element type and shape (-1 where any size is allowed).</summary>
public sealed record TensorSpec(string Name, TensorType Type, long[] Shape)
{
    public string Describe() => $"{TensorTypes.V2Name(Type)} {Tensor.FormatShape(Shape)}";
}

/// <summary>
/// One ONNX model loaded into <c>sessions</c> ONNX Runtime sessions (CPU), each with its own intra-op threads: a
/// worker owns one session, so sessions run in parallel without sharing a thread pool.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession[] _sessions;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    private OnnxModel(string path, InferenceSession[] sessions, IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs, int intraOpThreads)
    {
        Path = path;
        _sessions = sessions;
        Inputs = inputs;
        Outputs = outputs;
        IntraOpThreads = intraOpThreads;
        _inputNames = [.. inputs.Select(i => i.Name)];
        _outputNames = [.. outputs.Select(o => o.Name)];
        Batchable = inputs.Count > 0 && inputs.All(i => i.Shape.Length > 0 && i.Shape[0] < 0)
            && outputs.All(o => o.Shape.Length > 0 && o.Shape[0] < 0);
    }

    public string Path { get; }

    public IReadOnlyList<TensorSpec> Inputs { get; }

    public IReadOnlyList<TensorSpec> Outputs { get; }

    public int Sessions => _sessions.Length;

    public int IntraOpThreads { get; }

    /// <summary>Every input and output has a leading dimension of any size, so requests can be stacked along it.</summary>
    public bool Batchable { get; }

    /// <summary>Loads the model into <paramref name="sessions"/> sessions of <paramref name="intraOpThreads"/> threads each.</summary>
    public static OnnxModel Load(string path, int sessions, int intraOpThreads)
    {
        var loaded = new InferenceSession[sessions];
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                using var options = new SessionOptions
                {
                    IntraOpNumThreads = intraOpThreads,
                    InterOpNumThreads = 1,
                    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                };
                // Spinning threads burn the cores other sessions (and the gateway) need between runs.
                options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                loaded[i] = new InferenceSession(path, options);
            }

            return new OnnxModel(path, loaded, Describe(loaded[0].InputMetadata, loaded[0].InputNames),
                Describe(loaded[0].OutputMetadata, loaded[0].OutputNames), intraOpThreads);
        }
        catch
        {
            foreach (var s in loaded)
            {
                s?.Dispose();
            }

            throw;
        }
    }

    private static List<TensorSpec> Describe(IReadOnlyDictionary<string, NodeMetadata> metadata, IReadOnlyList<string> names)
    {
        var list = new List<TensorSpec>(names.Count);
        foreach (var name in names)
        {
            var m = metadata[name];
            if (!m.IsTensor || !TensorTypes.IsKnown((int)m.ElementDataType))
            {
                throw new NotSupportedException($"{name}: only tensors of numeric types are supported (got {m.OnnxValueType} {m.ElementDataType})");
            }

            var shape = new long[m.Dimensions.Length];
            for (var i = 0; i < shape.Length; i++)
            {
                shape[i] = m.Dimensions[i] <= 0 ? -1 : m.Dimensions[i];
            }

            list.Add(new TensorSpec(name, (TensorType)(int)m.ElementDataType, shape));
        }

        return list;
    }

    /// <summary>
    /// Runs session <paramref name="worker"/> on <paramref name="parts"/> stacked along the first dimension: input
    /// <c>i</c> is the concatenation of <c>parts[k][i]</c> over k (all parts have the model's inputs in order).
    /// </summary>
    public Tensor[] Run(int worker, IReadOnlyList<Tensor[]> parts)
    {
        var values = new OrtValue[_inputNames.Length];
        try
        {
            for (var i = 0; i < values.Length; i++)
            {
                var first = parts[0][i];
                var shape = (long[])first.Shape.Clone();
                if (parts.Count > 1)
                {
                    long rows = 0;
                    for (var k = 0; k < parts.Count; k++)
                    {
                        rows += parts[k][i].Shape[0];
                    }

                    shape[0] = rows;
                }

                var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (OrtElementType)(int)first.Type, shape);
                values[i] = value;
                var target = value.GetTensorMutableRawData();
                var offset = 0;
                for (var k = 0; k < parts.Count; k++)
                {
                    var data = parts[k][i].Data;
                    data.CopyTo(target[offset..]);
                    offset += data.Length;
                }
            }

            using var run = new RunOptions();
            using var results = _sessions[worker].Run(run, _inputNames, values, _outputNames);
            var outputs = new Tensor[_outputNames.Length];
            var n = 0;
            foreach (var result in results)
            {
                var info = result.GetTensorTypeAndShape();
                var bytes = result.GetTensorMutableRawData().ToArray();
                outputs[n] = new Tensor(_outputNames[n], (TensorType)(int)info.ElementDataType, info.Shape, bytes);
                n++;
            }

            return outputs;
        }
        finally
        {
            foreach (var v in values)
            {
                v?.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var s in _sessions)
        {
            s.Dispose();
        }
    }
}
