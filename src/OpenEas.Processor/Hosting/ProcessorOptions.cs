namespace OpenEas.Processor.Hosting;

/// <summary>How batching is decided: off, on with the given limits, or measured at start (<c>auto</c>).</summary>
public enum BatchingMode
{
    Off,
    On,
    Auto,
}

/// <summary>What <c>eas processor</c> was asked to run.</summary>
public sealed class ProcessorOptions
{
    /// <summary><c>onnx</c>, or <c>custom</c> for a processor assembly.</summary>
    public string Kind { get; set; } = "onnx";

    /// <summary><c>model_path</c>: local path, <c>file://</c>, <c>oss://</c> or <c>http(s)://</c>.</summary>
    public string? Model { get; set; }

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 8000;

    /// <summary>The model's name in <c>/v2/models/{name}</c> (the service name).</summary>
    public string? Name { get; set; }

    /// <summary>Cores the instance may use (<c>metadata.cpu</c>); sizes the default plan.</summary>
    public int Cores { get; set; } = Environment.ProcessorCount;

    /// <summary>Worker sessions; null: from the plan.</summary>
    public int? Sessions { get; set; }

    /// <summary>Intra-op threads per session; null: from the plan.</summary>
    public int? IntraOpThreads { get; set; }

    public BatchingMode Batching { get; set; } = BatchingMode.Off;

    public int MaxBatchSize { get; set; } = 16;

    public int MaxBatchTimeoutMs { get; set; } = 50;

    public int MaxQueueSize { get; set; } = 64;

    /// <summary>The longest a request may wait before a worker takes it, ms (<c>metadata.rpc.keepalive</c>).</summary>
    public int TimeoutMs { get; set; } = 600_000;

    public long MaxBodySize { get; set; } = 64L * 1024 * 1024;

    /// <summary>The data dir (model cache in <c>models/</c>, <c>oss://</c> in <c>oss/</c>).</summary>
    public string DataDir { get; set; } = Environment.GetEnvironmentVariable("EAS_DATA_DIR") is { Length: > 0 } d ? d : ".eas";

    /// <summary>Custom processor: the assembly (<c>processor_path</c>) and type (<c>processor_entry</c>).</summary>
    public string? ProcessorPath { get; set; }

    public string? ProcessorEntry { get; set; }

    public string? ModelConfig { get; set; }

    /// <summary>A request body used for warm-up and plan measurement (<c>warm_up_data_path</c>, a DataProto for ONNX).</summary>
    public string? WarmUpPath { get; set; }

    /// <summary>Where progress lines go (model download, plan, listening).</summary>
    public TextWriter Log { get; set; } = Console.Out;
}
