using Microsoft.ML.OnnxRuntime;

namespace OpenEas.Examples.Ocr;

/// <summary>Runs a model in this process with ONNX Runtime (CPU): the pipeline without a server.</summary>
internal sealed class OnnxOcrModel : IOcrModel
{
    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly string _output;

    public OnnxOcrModel(string modelPath, int intraOpThreads = 0)
    {
        if (!File.Exists(modelPath))
        {
            throw new OcrException($"model file {modelPath} not found (examples/ocr/fetch-models.sh fetches it)");
        }

        using var options = new SessionOptions { IntraOpNumThreads = intraOpThreads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(modelPath, options);
        _input = _session.InputNames[0];
        _output = _session.OutputNames[0];
    }

    public Task<FloatTensor> RunAsync(FloatTensor input, CancellationToken ct = default)
    {
        var shape = new long[input.Shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = input.Shape[i];
        }

        using var value = OrtValue.CreateTensorValueFromMemory(input.Data, shape);
        using var run = new RunOptions();
        using var outputs = _session.Run(run, [_input], [value], [_output]);
        var result = outputs[0];
        var outShape = result.GetTensorTypeAndShape().Shape;
        var dims = new int[outShape.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            dims[i] = checked((int)outShape[i]);
        }

        return Task.FromResult(new FloatTensor(result.GetTensorDataAsSpan<float>().ToArray(), dims));
    }

    public void Dispose() => _session.Dispose();
}
