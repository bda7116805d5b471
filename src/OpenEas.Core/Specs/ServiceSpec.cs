using System.Text.Json.Nodes;

namespace OpenEas.Core.Specs;

/// <summary>
/// The typed view of an EAS service spec, with defaults applied. The JSON it came from is kept
/// verbatim in <see cref="Raw"/> (unknown keys included) and is what the store saves.
/// </summary>
public sealed record ServiceSpec
{
    public required string Name { get; init; }
    public required JsonObject Raw { get; init; }

    /// <summary>Image/program deployment: the program listening on a port. Empty for processor deployments.</summary>
    public IReadOnlyList<ContainerSpec> Containers { get; init; } = [];
    public IReadOnlyList<StorageSpec> Storage { get; init; } = [];
    public ProcessorSpec? Processor { get; init; }
    public required MetadataSpec Metadata { get; init; }

    /// <summary><c>autoscaler</c>, or null when the instance count is fixed.</summary>
    public AutoscalerSpec? Autoscaler { get; init; }

    /// <summary><c>queue</c>: limits and delivery rules; used when <see cref="MetadataSpec.Type"/> is <c>Async</c>.</summary>
    public QueueSpec Queue { get; init; } = new();

    /// <summary>True for an async (queue) service (<c>metadata.type: "Async"</c>).</summary>
    public bool IsAsync => Metadata.Type == "Async";

    /// <summary>The container that serves traffic (the first one).</summary>
    public ContainerSpec? Main => Containers.Count > 0 ? Containers[0] : null;
}

/// <summary><c>queue</c> (an async service's input queue and sink).</summary>
public sealed record QueueSpec
{
    /// <summary>Entries the input queue holds at most; a put beyond it answers 429.</summary>
    public long MaxLength { get; init; } = 100_000;

    /// <summary>Largest entry in bytes (<c>max_payload_size_kb</c>); larger puts answer 413.</summary>
    public int MaxPayloadBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Deliveries of one entry to instances that died or timed out before it goes to the sink as an error.</summary>
    public int MaxDelivery { get; init; } = 5;

    /// <summary>Entries one Ready instance is given at once.</summary>
    public int Window { get; init; } = 4;

    public long SinkMaxLength { get; init; } = 100_000;
    public int SinkMaxPayloadBytes { get; init; } = 8 * 1024 * 1024;
}

/// <summary><c>containers[i]</c>.</summary>
public sealed record ContainerSpec
{
    public string? Image { get; init; }
    /// <summary>Shell lines, run with <c>/bin/sh -c</c>.</summary>
    public string? Script { get; init; }
    /// <summary>A command without a shell: program and arguments.</summary>
    public IReadOnlyList<string>? Command { get; init; }
    /// <summary>The port the program listens on; 0 = let the platform choose (the program reads <c>PORT</c>).</summary>
    public int Port { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];
    public ProbeSpec? StartupCheck { get; init; }
    public ProbeSpec? LivenessCheck { get; init; }
    public ProbeSpec? ReadinessCheck { get; init; }
    /// <summary><c>prepare.pythonRequirements</c>: packages installed before the program starts.</summary>
    public IReadOnlyList<string> PythonRequirements { get; init; } = [];
    /// <summary><c>prepare.pythonRequirementsPath</c>: a requirements file installed before the program starts.</summary>
    public string? PythonRequirementsPath { get; init; }
}

/// <summary>Which kind of check a probe makes.</summary>
public enum ProbeKind
{
    Tcp,
    Http,
    Exec,
}

/// <summary>A startup, liveness or readiness check (Kubernetes semantics).</summary>
public sealed record ProbeSpec
{
    public ProbeKind Kind { get; init; } = ProbeKind.Tcp;
    /// <summary>For HTTP: the path (starting with '/').</summary>
    public string Path { get; init; } = "/";
    /// <summary>0 = the container's port.</summary>
    public int Port { get; init; }
    /// <summary>For exec: the program and arguments.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];
    public double InitialDelaySeconds { get; init; }
    public double PeriodSeconds { get; init; } = 10;
    public double TimeoutSeconds { get; init; } = 1;
    public int SuccessThreshold { get; init; } = 1;
    public int FailureThreshold { get; init; } = 3;
}

/// <summary>Where a <c>storage[i]</c> entry comes from.</summary>
public enum StorageKind
{
    Oss,
    Nfs,
    Git,
    EmptyDir,
    Dataset,
    LocalPath,
}

/// <summary><c>storage[i]</c>: something made visible at <see cref="MountPath"/>.</summary>
public sealed record StorageSpec
{
    public required string MountPath { get; init; }
    public required StorageKind Kind { get; init; }
    /// <summary>oss: <c>oss://bucket/key/</c>; nfs: <c>server:path</c>; git: repo URL; dataset: id; local: absolute path.</summary>
    public string Source { get; init; } = "";
    /// <summary>git: branch; dataset: version.</summary>
    public string? Revision { get; init; }
    public bool ReadOnly { get; init; }
    /// <summary>git: the commit to check out (wins over the branch).</summary>
    public string? Commit { get; init; }
    /// <summary>empty_dir: <c>memory</c> for a RAM-backed directory; null for disk.</summary>
    public string? Medium { get; init; }
    /// <summary>empty_dir: size limit in GB; null = no limit.</summary>
    public double? SizeLimitGb { get; init; }
}

/// <summary>A processor deployment: the platform serves the model itself.</summary>
public sealed record ProcessorSpec
{
    /// <summary>Built-in processor name (e.g. <c>onnx</c>) or null with <see cref="Path"/>.</summary>
    public string? Name { get; init; }
    public string? Path { get; init; }
    public string? Entry { get; init; }
    public string? Type { get; init; }
    public string? ModelPath { get; init; }
    public string? ModelEntry { get; init; }
    public string? ModelConfig { get; init; }
    public string? WarmUpDataPath { get; init; }
}

/// <summary><c>metadata</c>, with EAS's defaults.</summary>
public sealed record MetadataSpec
{
    public int Instance { get; init; } = 1;
    /// <summary>Cores per instance.</summary>
    public double Cpu { get; init; } = 1;
    /// <summary>MB per instance.</summary>
    public long Memory { get; init; } = 1000;
    public int Gpu { get; init; }
    public string Resource { get; init; } = "public";
    public string? Group { get; init; }
    /// <summary><c>Async</c> for queue services; null for sync.</summary>
    public string? Type { get; init; }
    public RpcSpec Rpc { get; init; } = new();
    public RollingStrategy RollingStrategy { get; init; } = new();
    /// <summary><c>eas.termination_grace_period</c>, seconds.</summary>
    public double TerminationGracePeriodSeconds { get; init; } = 30;
    public bool EnableWebservice { get; init; }
    /// <summary><c>anonymous</c> (OpenEAS): the gateway lets calls through without a service token.</summary>
    public bool Anonymous { get; init; }
    /// <summary><c>resource_burstable</c>: may spill into the elastic resource pool.</summary>
    public bool ResourceBurstable { get; init; }

    /// <summary>
    /// <c>resource_fallback</c> (OpenEAS): groups tried in order when <see cref="Resource"/> has no room (full, or its spot
    /// capacity preempted). Instances placed there are overflow: the first to go on scale-in.
    /// </summary>
    public IReadOnlyList<string> ResourceFallback { get; init; } = [];

    /// <summary>Where instances may be placed, in order: the service's group, its fallbacks, then <c>public</c> when burstable.</summary>
    public IReadOnlyList<string> PlacementOrder()
    {
        var order = new List<string> { Resource };
        foreach (var g in ResourceFallback.Append(ResourceBurstable ? "public" : Resource))
        {
            if (!order.Contains(g, StringComparer.Ordinal))
            {
                order.Add(g);
            }
        }

        return order;
    }
}

/// <summary><c>metadata.rpc</c>.</summary>
public sealed record RpcSpec
{
    /// <summary>
    /// Longest time one request may take, ms (EAS's <c>rpc.keepalive</c>). EAS's pages disagree on the default
    /// (5 s vs 600 000 ms); OpenEAS uses 600 000 ms.
    /// </summary>
    public int KeepaliveMs { get; init; } = 600_000;
    public bool Batching { get; init; }
    /// <summary><c>batching: "auto"</c>: the processor measures its layout and batch size at start.</summary>
    public bool BatchingAuto { get; init; }
    public int MaxBatchSize { get; init; } = 16;
    public int MaxBatchTimeoutMs { get; init; } = 50;
    public int MaxQueueSize { get; init; } = 64;
    public int WorkerThreads { get; init; } = 5;
    public int IoThreads { get; init; } = 4;
    /// <summary>Requests per second the gateway lets through to the service (all instances); 0 = off. Over it: 429.</summary>
    public int RateLimit { get; init; }

    /// <summary>Requests one instance serves at once (OpenEAS); 0 = unlimited. When all are busy, calls wait in a queue of
    /// <see cref="MaxQueueSize"/> per instance; when that is full: 450.</summary>
    public int MaxConcurrency { get; init; }

    /// <summary>Largest request body in bytes (OpenEAS); larger: 413.</summary>
    public long MaxBodySize { get; init; } = 64L * 1024 * 1024;

    /// <summary>The largest <see cref="MaxBodySize"/> accepted (the server's own request limit).</summary>
    public const long MaxBodySizeCeiling = 256L * 1024 * 1024;
}

/// <summary><c>metadata.rolling_strategy</c>: counts, or percentages of the instance count.</summary>
public sealed record RollingStrategy
{
    /// <summary>e.g. "1" or "25%".</summary>
    public string MaxSurge { get; init; } = "1";
    public string MaxUnavailable { get; init; } = "0";

    /// <summary>An update plan: the rolling update goes in this many batches (1 = all at once, within surge).</summary>
    public int Batches { get; init; } = 1;

    /// <summary>How long the update waits after a batch is Ready before the next one starts.</summary>
    public double PauseSeconds { get; init; }

    /// <summary>Resolves both values against a desired count; surge is at least 1 when unavailable is 0, so a rollout always progresses.</summary>
    public (int Surge, int Unavailable) Resolve(int desired)
    {
        var surge = Amount(MaxSurge, desired, roundUp: true);
        var unavailable = Amount(MaxUnavailable, desired, roundUp: false);
        if (surge == 0 && unavailable == 0)
        {
            surge = 1;
        }

        return (surge, Math.Min(unavailable, desired));
    }

    private static int Amount(string value, int desired, bool roundUp)
    {
        value = value.Trim();
        if (value.EndsWith('%'))
        {
            var pct = double.Parse(value[..^1], System.Globalization.CultureInfo.InvariantCulture);
            var raw = desired * pct / 100.0;
            return (int)(roundUp ? Math.Ceiling(raw) : Math.Floor(raw));
        }

        return int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
