using OpenEas.Processor.Batching;
using OpenEas.Processor.Protocol;

namespace OpenEas.Processor.Onnx;

/// <summary>
/// Checks requests against the model's inputs and runs batches: requests are stacked along the first dimension,
/// run once, and each output is split back into every caller's rows.
/// </summary>
public sealed class OnnxWork : IBatchWork<Tensor[], Tensor[]>
{
    private readonly OnnxModel _model;

    public OnnxWork(OnnxModel model) => _model = model;

    /// <summary>Orders <paramref name="given"/> as the model's inputs; throws <see cref="BadInputException"/> naming the input that is wrong.</summary>
    public Tensor[] Bind(IReadOnlyList<Tensor> given)
    {
        var inputs = _model.Inputs;
        var bound = new Tensor[inputs.Count];
        foreach (var t in given)
        {
            var index = -1;
            for (var i = 0; i < inputs.Count; i++)
            {
                if (inputs[i].Name == t.Name)
                {
                    index = i;
                    break;
                }
            }

            if (index < 0)
            {
                throw new BadInputException($"input '{t.Name}' is not an input of the model; it expects {Expected()}");
            }

            if (bound[index] is not null)
            {
                throw new BadInputException($"input '{t.Name}' is given twice");
            }

            var spec = inputs[index];
            if (t.Type != spec.Type)
            {
                throw new BadInputException($"input '{t.Name}': data type {TensorTypes.Describe(t.Type)} but the model expects {TensorTypes.Describe(spec.Type)}");
            }

            if (!ShapeFits(t.Shape, spec.Shape))
            {
                throw new BadInputException($"input '{t.Name}': shape {Tensor.FormatShape(t.Shape)} but the model expects {Tensor.FormatShape(spec.Shape)} (-1: any size)");
            }

            var expectedBytes = t.ElementCount * TensorTypes.Size(t.Type);
            if (t.Data.Length != expectedBytes)
            {
                throw new BadInputException($"input '{t.Name}': shape {Tensor.FormatShape(t.Shape)} of {TensorTypes.V2Name(t.Type)} needs {expectedBytes} bytes of data, got {t.Data.Length}");
            }

            bound[index] = t;
        }

        for (var i = 0; i < bound.Length; i++)
        {
            if (bound[i] is null)
            {
                throw new BadInputException($"input '{inputs[i].Name}' ({inputs[i].Describe()}) is missing; the model expects {Expected()}");
            }
        }

        if (_model.Batchable)
        {
            var rows = bound[0].Shape[0];
            for (var i = 1; i < bound.Length; i++)
            {
                if (bound[i].Shape[0] != rows)
                {
                    throw new BadInputException($"input '{bound[i].Name}': {bound[i].Shape[0]} rows but input '{bound[0].Name}' has {rows}; all inputs need the same first dimension");
                }
            }
        }

        return bound;
    }

    private string Expected() => string.Join(", ", _model.Inputs.Select(i => $"'{i.Name}' {i.Describe()}"));

    private static bool ShapeFits(long[] given, long[] expected)
    {
        if (given.Length != expected.Length)
        {
            return false;
        }

        for (var i = 0; i < given.Length; i++)
        {
            if (given[i] < 0 || (expected[i] >= 0 && given[i] != expected[i]))
            {
                return false;
            }
        }

        return true;
    }

    public int Rows(Tensor[] item) => _model.Batchable ? (int)item[0].Shape[0] : 1;

    public bool Compatible(Tensor[] first, Tensor[] other)
    {
        if (!_model.Batchable)
        {
            return false;
        }

        for (var i = 0; i < first.Length; i++)
        {
            var a = first[i].Shape;
            var b = other[i].Shape;
            for (var d = 1; d < a.Length; d++)
            {
                if (a[d] != b[d])
                {
                    return false;
                }
            }
        }

        return true;
    }

    public Tensor[][] Run(int worker, IReadOnlyList<Tensor[]> batch)
    {
        var outputs = _model.Run(worker, batch);
        if (batch.Count == 1)
        {
            return [outputs];
        }

        var results = new Tensor[batch.Count][];
        long total = 0;
        for (var k = 0; k < batch.Count; k++)
        {
            results[k] = new Tensor[outputs.Length];
            total += batch[k][0].Shape[0];
        }

        for (var o = 0; o < outputs.Length; o++)
        {
            var output = outputs[o];
            if (output.Shape.Length == 0 || output.Shape[0] != total)
            {
                throw new InvalidOperationException($"output '{output.Name}' has shape {Tensor.FormatShape(output.Shape)}, not {total} rows; it cannot be split back into the batched requests");
            }

            var rowBytes = output.Data.Length / total;
            long offset = 0;
            for (var k = 0; k < batch.Count; k++)
            {
                var rows = batch[k][0].Shape[0];
                var shape = (long[])output.Shape.Clone();
                shape[0] = rows;
                var data = output.Data.AsSpan((int)offset, (int)(rows * rowBytes)).ToArray();
                offset += rows * rowBytes;
                results[k][o] = new Tensor(output.Name, output.Type, shape, data);
            }
        }

        return results;
    }
}
