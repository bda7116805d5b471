using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OpenEas.Processor.Batching;
using OpenEas.Processor.Onnx;
using OpenEas.Processor.Protocol;

namespace OpenEas.Processor.Hosting;

/// <summary>An ONNX model behind the batcher, spoken to in the EAS protobuf, JSON and v2 protocols.</summary>
internal sealed class OnnxServed : IServedModel
{
    private readonly string _name;
    private readonly string _source;
    private readonly OnnxModel _model;
    private readonly OnnxWork _work;
    private readonly Batcher<Tensor[], Tensor[]> _batcher;
    private readonly ExecutionPlan _plan;
    private readonly ProcessorOptions _options;
    private readonly Dictionary<string, TensorType> _inputTypes;

    private OnnxServed(string name, string source, OnnxModel model, ExecutionPlan plan, ProcessorOptions o, ProcessorMetrics metrics)
    {
        _name = name;
        _source = source;
        _model = model;
        _plan = plan;
        _options = o;
        _work = new OnnxWork(model);
        _inputTypes = model.Inputs.ToDictionary(i => i.Name, i => i.Type, StringComparer.Ordinal);
        _batcher = new Batcher<Tensor[], Tensor[]>(model.Sessions,
            new BatchPolicy(plan.MaxBatchSize, TimeSpan.FromMilliseconds(plan.MaxBatchTimeoutMs), o.MaxQueueSize), _work, metrics, TimeProvider.System,
            plan.Batching == BatchingMode.Auto ? new AdaptiveBatchSize(plan.MaxBatchSize) : null);
    }

    public string PlanSummary => $"{_plan.Sessions} session(s) x {_plan.IntraOpThreads} thread(s), batching {_plan.Batching.ToString().ToLowerInvariant()}"
        + (_plan.MaxBatchSize > 1 ? $" (up to {_plan.MaxBatchSize})" : "") + $"; {_plan.Reason}";

    public static OnnxServed Start(string name, string path, byte[]? warmUp, ProcessorOptions o, ProcessorMetrics metrics)
    {
        Tensor[] sample;
        bool batchable;
        ExecutionPlan plan;
        using (var probe = OnnxModel.Load(path, 1, 1))
        {
            batchable = probe.Batchable;
            var work = new OnnxWork(probe);
            sample = warmUp is not null ? work.Bind(EasProtocol.ReadProtobuf(warmUp)) : Synthesize(probe);
            plan = o.Batching == BatchingMode.Auto ? OnnxPlan.Measure(path, o, FirstRow(sample, batchable), batchable, o.Log) : OnnxPlan.Default(o);
        }

        var model = OnnxModel.Load(path, plan.Sessions, plan.IntraOpThreads);
        try
        {
            // Warm-up: every session runs once before the host listens (the first run allocates and optimizes).
            for (var s = 0; s < model.Sessions; s++)
            {
                model.Run(s, [sample]);
            }

            return new OnnxServed(name, o.Model ?? path, model, plan, o, metrics);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A zero-filled request with one row and 64 where a dimension may have any size.</summary>
    private static Tensor[] Synthesize(OnnxModel model)
    {
        var tensors = new Tensor[model.Inputs.Count];
        for (var i = 0; i < tensors.Length; i++)
        {
            var spec = model.Inputs[i];
            var shape = new long[spec.Shape.Length];
            for (var d = 0; d < shape.Length; d++)
            {
                shape[d] = spec.Shape[d] >= 0 ? spec.Shape[d] : d == 0 ? 1 : 64;
            }

            tensors[i] = new Tensor(spec.Name, spec.Type, shape, new byte[Tensor.Elements(shape) * TensorTypes.Size(spec.Type)]);
        }

        return tensors;
    }

    private static Tensor[] FirstRow(Tensor[] sample, bool batchable)
    {
        if (!batchable || sample[0].Shape[0] == 1)
        {
            return sample;
        }

        return [.. sample.Select(t =>
        {
            var shape = (long[])t.Shape.Clone();
            shape[0] = 1;
            return t with { Shape = shape, Data = t.Data[..(int)(t.Data.Length / t.Shape[0])] };
        })];
    }

    private Task<Tensor[]> RunAsync(List<Tensor> inputs, HttpContext ctx) =>
        _batcher.SubmitAsync(_work.Bind(inputs), TimeSpan.FromMilliseconds(_options.TimeoutMs), ctx.RequestAborted);

    private TensorType? TypeOf(string input) => _inputTypes.TryGetValue(input, out var t) ? t : null;

    public async Task<Reply> InvokeAsync(HttpContext ctx, ReadOnlyMemory<byte> body)
    {
        if (EasProtocol.IsJson(body.Span))
        {
            var outputs = await RunAsync(EasProtocol.ReadJson(body, TypeOf), ctx).ConfigureAwait(false);
            return new Reply(EasProtocol.WriteJson(outputs), "application/json");
        }

        var result = await RunAsync(EasProtocol.ReadProtobuf(body), ctx).ConfigureAwait(false);
        return new Reply([], "application/octet-stream", Message: EasProtocol.ToProto(result));
    }

    public async Task<Reply> InvokeV2Async(HttpContext ctx, ReadOnlyMemory<byte> body)
    {
        var request = V2Protocol.Read(body, V2Protocol.ParseHeaderLength(ctx.Request.Headers[V2Protocol.HeaderLength]));
        var outputs = await RunAsync(request.Inputs, ctx).ConfigureAwait(false);
        var (bytes, header) = V2Protocol.Write(_name, request, outputs);
        return new Reply(bytes, header is null ? "application/json" : "application/octet-stream", header);
    }

    public void WriteDescription(Utf8JsonWriter w, MetricsSnapshot metrics)
    {
        w.WriteStartObject();
        w.WriteString("name", _name);
        w.WriteString("processor", "onnx");
        w.WriteString("model_path", _source);
        w.WriteString("model_file", _model.Path);
        WriteTensors(w, "inputs", _model.Inputs);
        WriteTensors(w, "outputs", _model.Outputs);
        w.WriteBoolean("batchable", _model.Batchable);
        WritePlan(w, _plan, _options.MaxQueueSize, _batcher.Adaptive);
        WriteMetrics(w, metrics);
        w.WriteEndObject();
    }

    internal static void WritePlan(Utf8JsonWriter w, ExecutionPlan plan, int maxQueue, AdaptiveBatchSize? adaptive)
    {
        w.WriteStartObject("plan");
        w.WriteNumber("sessions", plan.Sessions);
        w.WriteNumber("intra_op_threads", plan.IntraOpThreads);
        w.WriteString("batching", plan.Batching.ToString().ToLowerInvariant());
        w.WriteNumber("max_batch_size", plan.MaxBatchSize);
        w.WriteNumber("max_batch_timeout", plan.MaxBatchTimeoutMs);
        w.WriteNumber("max_queue_size", maxQueue);
        w.WriteString("reason", plan.Reason);
        w.WriteStartArray("measurements");
        foreach (var m in plan.Measurements)
        {
            w.WriteStartObject();
            w.WriteNumber("sessions", m.Sessions);
            w.WriteNumber("intra_op_threads", m.Threads);
            w.WriteNumber("batch", m.Batch);
            w.WriteNumber("items_per_second", Math.Round(m.ItemsPerSecond, 1));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (adaptive is not null)
        {
            var (limit, settled, msPerRow) = adaptive.Snapshot();
            w.WriteStartObject("adaptive");
            w.WriteNumber("batch_size", limit);
            w.WriteBoolean("settled", settled);
            w.WriteStartObject("ms_per_row");
            foreach (var (size, ms) in msPerRow.OrderBy(p => p.Key))
            {
                w.WriteNumber(size.ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Round(ms, 4));
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    internal static void WriteMetrics(Utf8JsonWriter w, MetricsSnapshot m)
    {
        w.WriteStartObject("metrics");
        w.WriteNumber("runs", m.Runs);
        w.WriteNumber("requests", m.Requests);
        w.WriteNumber("rows", m.Rows);
        w.WriteNumber("mean_batch_size", Math.Round(m.MeanBatchSize, 3));
        w.WriteNumber("largest_batch", m.LargestBatch);
        w.WriteNumber("rejected", m.Rejected);
        w.WriteNumber("expired", m.Expired);
        w.WriteEndObject();
    }

    private static void WriteTensors(Utf8JsonWriter w, string property, IReadOnlyList<TensorSpec> tensors)
    {
        w.WriteStartArray(property);
        foreach (var t in tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("datatype", TensorTypes.V2Name(t.Type));
            w.WriteNumber("data_type", (int)t.Type);
            w.WriteStartArray("shape");
            foreach (var d in t.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    public void WriteV2Metadata(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("name", _name);
        w.WriteStartArray("versions");
        w.WriteStringValue("1");
        w.WriteEndArray();
        w.WriteString("platform", "onnxruntime_onnx");
        WriteTensors(w, "inputs", _model.Inputs);
        WriteTensors(w, "outputs", _model.Outputs);
        WritePlan(w, _plan, _options.MaxQueueSize, _batcher.Adaptive);
        w.WriteEndObject();
    }

    public void Dispose()
    {
        _batcher.Dispose();
        _model.Dispose();
    }
}
