using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OpenEas.Processor.Abstractions;
using OpenEas.Processor.Batching;
using OpenEas.Processor.Custom;
using OpenEas.Processor.Onnx;

namespace OpenEas.Processor.Hosting;

/// <summary>A user's <see cref="IProcessor"/> behind the same batcher: the request body in, the response body out.</summary>
internal sealed class CustomServed : IServedModel
{
    private readonly string _name;
    private readonly CustomProcessorWork _work;
    private readonly Batcher<ReadOnlyMemory<byte>, byte[]> _batcher;
    private readonly ExecutionPlan _plan;
    private readonly ProcessorOptions _options;

    private CustomServed(string name, CustomProcessorWork work, ExecutionPlan plan, ProcessorOptions o, ProcessorMetrics metrics)
    {
        _name = name;
        _work = work;
        _plan = plan;
        _options = o;
        _batcher = new Batcher<ReadOnlyMemory<byte>, byte[]>(plan.Sessions,
            new BatchPolicy(plan.MaxBatchSize, TimeSpan.FromMilliseconds(plan.MaxBatchTimeoutMs), o.MaxQueueSize), work, metrics, TimeProvider.System,
            plan.Batching == BatchingMode.Auto ? new AdaptiveBatchSize(plan.MaxBatchSize) : null);
    }

    public string PlanSummary => $"{_plan.Sessions} worker(s), batching {_plan.Batching.ToString().ToLowerInvariant()}; {_plan.Reason}";

    public static CustomServed Start(string name, string? modelPath, byte[]? warmUp, ProcessorOptions o, ProcessorMetrics metrics)
    {
        var path = o.ProcessorPath ?? throw new ArgumentException("--path (processor_path) is required for a custom processor");
        var entry = o.ProcessorEntry ?? throw new ArgumentException("--entry (processor_entry) is required for a custom processor");
        var processor = CustomProcessorWork.Load(path, entry);
        processor.Initialize(new ProcessorContext { ServiceName = name, ModelPath = modelPath, ModelConfig = o.ModelConfig, Cores = o.Cores });
        var work = new CustomProcessorWork(processor);
        var workers = o.Sessions ?? o.Cores;
        var batching = work.CanBatch ? o.Batching : BatchingMode.Off;
        var reason = !work.CanBatch && o.Batching != BatchingMode.Off
            ? $"{entry} does not implement IBatchProcessor, so requests run one by one"
            : batching == BatchingMode.Auto ? "auto: the batch size is learned from traffic, growing only while the time per request drops" : "as configured";
        var plan = new ExecutionPlan(workers, 1, batching, batching == BatchingMode.Off ? 1 : o.MaxBatchSize,
            batching == BatchingMode.On ? o.MaxBatchTimeoutMs : 0, reason, []);
        if (warmUp is not null)
        {
            processor.Process(warmUp);
        }

        return new CustomServed(name, work, plan, o, metrics);
    }

    public async Task<Reply> InvokeAsync(HttpContext ctx, ReadOnlyMemory<byte> body)
    {
        var result = await _batcher.SubmitAsync(body, TimeSpan.FromMilliseconds(_options.TimeoutMs), ctx.RequestAborted).ConfigureAwait(false);
        return new Reply(result, "application/octet-stream");
    }

    public Task<Reply> InvokeV2Async(HttpContext ctx, ReadOnlyMemory<byte> body) =>
        throw new ProcessorInputException("a custom processor takes its own request format at POST /, not the v2 tensor protocol");

    public void WriteDescription(Utf8JsonWriter w, MetricsSnapshot metrics)
    {
        w.WriteStartObject();
        w.WriteString("name", _name);
        w.WriteString("processor", "custom");
        w.WriteString("processor_path", _options.ProcessorPath);
        w.WriteString("processor_entry", _options.ProcessorEntry);
        w.WriteBoolean("batch_processor", _work.CanBatch);
        OnnxServed.WritePlan(w, _plan, _options.MaxQueueSize, _batcher.Adaptive);
        OnnxServed.WriteMetrics(w, metrics);
        w.WriteEndObject();
    }

    public void WriteV2Metadata(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("name", _name);
        w.WriteString("platform", "openeas_custom");
        w.WriteEndObject();
    }

    public void Dispose()
    {
        _batcher.Dispose();
        (_work.Processor as IDisposable)?.Dispose();
    }
}
