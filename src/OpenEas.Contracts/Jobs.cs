using System.Text.Json.Serialization;

namespace OpenEas.Contracts;

/// <summary>The states of a job.</summary>
public static class JobStates
{
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";
}

/// <summary>
/// The body of <c>POST /api/v2/jobs</c>. Kind <c>stress</c>: load one service through the server's own gateway with
/// exactly one of <see cref="Rps"/>, <see cref="Ramp"/> or <see cref="Concurrency"/>. Kind <c>batch</c>: send every
/// file of <see cref="Input"/> to a service (<see cref="Service"/>, or one made from <see cref="ServiceSpec"/>) and write
/// each answer into <see cref="Output"/>.
/// </summary>
public sealed class JobRequest
{
    /// <summary>Batch: a directory, an <c>oss://bucket/prefix</c>, or a <c>.jsonl</c> file (one item per line).</summary>
    [JsonPropertyName("input")]
    public string? Input { get; set; }

    /// <summary>Batch: the directory results go to (same relative names as the inputs), with <c>manifest.json</c>.</summary>
    [JsonPropertyName("output")]
    public string? Output { get; set; }

    /// <summary>Batch: a service spec the job creates for its run (and deletes after), instead of <see cref="Service"/>.</summary>
    [JsonPropertyName("serviceSpec")]
    public System.Text.Json.Nodes.JsonObject? ServiceSpec { get; set; }

    /// <summary>Batch: instances of the service made from <see cref="ServiceSpec"/> (its <c>metadata.instance</c> otherwise).</summary>
    [JsonPropertyName("instances")]
    public int? Instances { get; set; }

    /// <summary>Batch: tries per item for 5xx answers and unreachable instances (default 3).</summary>
    [JsonPropertyName("maxRetries")]
    public int? MaxRetries { get; set; }

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "stress";

    [JsonPropertyName("service")]
    public string Service { get; set; } = "";

    /// <summary>Open loop at a fixed arrival rate (calls per second).</summary>
    [JsonPropertyName("rps")]
    public double? Rps { get; set; }

    /// <summary>Open loop, raised in steps: <c>start:step:every</c>, e.g. <c>50:50:5s</c>.</summary>
    [JsonPropertyName("ramp")]
    public string? Ramp { get; set; }

    /// <summary>Closed loop with this many callers.</summary>
    [JsonPropertyName("concurrency")]
    public int? Concurrency { get; set; }

    /// <summary>How long, e.g. <c>30s</c>, <c>2m</c> (at most 1 h).</summary>
    [JsonPropertyName("duration")]
    public string Duration { get; set; } = "30s";

    [JsonPropertyName("slo")]
    public string? Slo { get; set; }

    [JsonPropertyName("maxErrors")]
    public string? MaxErrors { get; set; }

    /// <summary>The request body as text.</summary>
    [JsonPropertyName("data")]
    public string? Data { get; set; }

    /// <summary>The request body, base64 (binary bodies).</summary>
    [JsonPropertyName("dataBase64")]
    public string? DataBase64 { get; set; }

    [JsonPropertyName("method")]
    public string? Method { get; set; }

    /// <summary>A sub-path after <c>/api/predict/&lt;service&gt;/</c>.</summary>
    [JsonPropertyName("path")]
    public string? Path { get; set; }
}

/// <summary>A job as the jobs API shows it (<c>GET /api/v2/jobs/{id}</c>).</summary>
public sealed class JobInfo
{
    [JsonPropertyName("id")]
    public string Id { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "stress";

    [JsonPropertyName("service")]
    public string Service { get; set; } = "";

    /// <summary>Running, Succeeded, Failed or Cancelled (<see cref="JobStates"/>).</summary>
    [JsonPropertyName("state")]
    public string State { get; set; } = JobStates.Running;

    [JsonPropertyName("message")]
    public string? Message { get; set; }

    [JsonPropertyName("createdAt")]
    public DateTimeOffset CreatedAt { get; set; }

    [JsonPropertyName("finishedAt")]
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Share of the planned duration done, 0-1.</summary>
    [JsonPropertyName("progress")]
    public double Progress { get; set; }

    [JsonPropertyName("request")]
    public JobRequest? Request { get; set; }

    /// <summary>Per-second results so far, and the summary once finished.</summary>
    [JsonPropertyName("report")]
    public StressReport? Report { get; set; }

    /// <summary>A batch job's progress and failed items.</summary>
    [JsonPropertyName("batch")]
    public BatchProgress? Batch { get; set; }
}

/// <summary>Where a batch job is: counts, rate, ETA, and each failed item with its error.</summary>
public sealed class BatchProgress
{
    [JsonPropertyName("total")]
    public long Total { get; set; }

    /// <summary>Items with a result in the output (including those done before a resume).</summary>
    [JsonPropertyName("done")]
    public long Done { get; set; }

    [JsonPropertyName("failed")]
    public long Failed { get; set; }

    /// <summary>Items finished per second since the job (re)started.</summary>
    [JsonPropertyName("rate")]
    public double Rate { get; set; }

    /// <summary>Seconds left at the current rate (null when unknown).</summary>
    [JsonPropertyName("etaSeconds")]
    public double? EtaSeconds { get; set; }

    /// <summary>Times the job was resumed after a server restart.</summary>
    [JsonPropertyName("resumes")]
    public int Resumes { get; set; }

    [JsonPropertyName("output")]
    public string Output { get; set; } = "";

    [JsonPropertyName("failedItems")]
    public List<BatchFailure> FailedItems { get; set; } = [];
}

/// <summary>One item a batch job could not process.</summary>
public sealed class BatchFailure
{
    [JsonPropertyName("item")]
    public string Item { get; set; } = "";

    [JsonPropertyName("error")]
    public string Error { get; set; } = "";
}

/// <summary>What a stress run measured: the summary, every second and (ramp) every step.</summary>
public sealed class StressReport
{
    [JsonPropertyName("summary")]
    public StressSummary Summary { get; set; } = new();

    [JsonPropertyName("seconds")]
    public List<StressSecond> Seconds { get; set; } = [];

    [JsonPropertyName("steps")]
    public List<StressStep> Steps { get; set; } = [];
}

/// <summary>One second of a stress run. Sends count by intended send time; answers and latencies by arrival.</summary>
public sealed class StressSecond
{
    /// <summary>Seconds since the run started (this second is [t, t+1)).</summary>
    [JsonPropertyName("t")]
    public int T { get; set; }

    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; set; }

    /// <summary>The arrival rate asked for (open loop), or 0 in a closed loop.</summary>
    [JsonPropertyName("offeredQps")]
    public double OfferedQps { get; set; }

    /// <summary>Calls started (dropped ones not included).</summary>
    [JsonPropertyName("sent")]
    public long Sent { get; set; }

    /// <summary>2xx answers.</summary>
    [JsonPropertyName("ok")]
    public long Ok { get; set; }

    /// <summary>Non-2xx answers, transport errors, timeouts and dropped calls.</summary>
    [JsonPropertyName("errors")]
    public long Errors { get; set; }

    /// <summary>Calls not sent because the cap on outstanding calls was reached (counted in errors too).</summary>
    [JsonPropertyName("dropped")]
    public long Dropped { get; set; }

    /// <summary>Errors by HTTP status ("450"), or "connect", "timeout", "dropped".</summary>
    [JsonPropertyName("errorsByStatus")]
    public Dictionary<string, long> ErrorsByStatus { get; set; } = [];

    /// <summary>2xx answers per second.</summary>
    [JsonPropertyName("achievedQps")]
    public double AchievedQps { get; set; }

    [JsonPropertyName("p50Ms")]
    public double P50Ms { get; set; }

    [JsonPropertyName("p90Ms")]
    public double P90Ms { get; set; }

    [JsonPropertyName("p99Ms")]
    public double P99Ms { get; set; }

    [JsonPropertyName("maxMs")]
    public double MaxMs { get; set; }

    /// <summary>CPU of the service's instances in this second, percent of one core (summed), when known.</summary>
    [JsonPropertyName("cpuPercent")]
    public double? CpuPercent { get; set; }
}

/// <summary>One step of a ramp and whether it passed.</summary>
public sealed class StressStep
{
    [JsonPropertyName("index")]
    public int Index { get; set; }

    [JsonPropertyName("offeredQps")]
    public double OfferedQps { get; set; }

    [JsonPropertyName("achievedQps")]
    public double AchievedQps { get; set; }

    [JsonPropertyName("ok")]
    public long Ok { get; set; }

    [JsonPropertyName("errors")]
    public long Errors { get; set; }

    [JsonPropertyName("p99Ms")]
    public double P99Ms { get; set; }

    /// <summary><c>pass</c>, or why the ramp stopped here.</summary>
    [JsonPropertyName("verdict")]
    public string Verdict { get; set; } = "pass";
}

/// <summary>The whole run in one row.</summary>
public sealed class StressSummary
{
    [JsonPropertyName("service")]
    public string Service { get; set; } = "";

    /// <summary><c>rate</c>, <c>ramp</c> or <c>concurrency</c>, with its setting, e.g. <c>rate 200/s</c>.</summary>
    [JsonPropertyName("mode")]
    public string Mode { get; set; } = "";

    [JsonPropertyName("start")]
    public DateTimeOffset Start { get; set; }

    [JsonPropertyName("end")]
    public DateTimeOffset End { get; set; }

    [JsonPropertyName("seconds")]
    public double Seconds { get; set; }

    [JsonPropertyName("sent")]
    public long Sent { get; set; }

    [JsonPropertyName("ok")]
    public long Ok { get; set; }

    [JsonPropertyName("errors")]
    public long Errors { get; set; }

    [JsonPropertyName("dropped")]
    public long Dropped { get; set; }

    [JsonPropertyName("errorsByStatus")]
    public Dictionary<string, long> ErrorsByStatus { get; set; } = [];

    /// <summary>2xx answers per second over the run.</summary>
    [JsonPropertyName("achievedQps")]
    public double AchievedQps { get; set; }

    [JsonPropertyName("p50Ms")]
    public double P50Ms { get; set; }

    [JsonPropertyName("p90Ms")]
    public double P90Ms { get; set; }

    [JsonPropertyName("p99Ms")]
    public double P99Ms { get; set; }

    [JsonPropertyName("p999Ms")]
    public double P999Ms { get; set; }

    [JsonPropertyName("maxMs")]
    public double MaxMs { get; set; }

    /// <summary>Ramp: the offered rate of the last step that passed (null when none passed).</summary>
    [JsonPropertyName("maxSustainableQps")]
    public double? MaxSustainableQps { get; set; }

    /// <summary>Why the run ended: duration, a ramp limit, the request cap, or cancelled.</summary>
    [JsonPropertyName("stopReason")]
    public string StopReason { get; set; } = "";

    [JsonPropertyName("cancelled")]
    public bool Cancelled { get; set; }

    /// <summary>
    /// CPU time (user + system, seconds) of the process that ran the generator, over the run: for <c>eas bench</c> the
    /// generator's own cost; for a server-side job the whole server's.
    /// </summary>
    [JsonPropertyName("processCpuSeconds")]
    public double ProcessCpuSeconds { get; set; }
}

/// <summary><c>manifest.json</c> in a batch job's output: what was done, where each result is, and what failed.</summary>
public sealed class BatchManifest
{
    [JsonPropertyName("job")]
    public string Job { get; set; } = "";

    [JsonPropertyName("input")]
    public string Input { get; set; } = "";

    [JsonPropertyName("service")]
    public string Service { get; set; } = "";

    [JsonPropertyName("total")]
    public long Total { get; set; }

    [JsonPropertyName("done")]
    public long Done { get; set; }

    [JsonPropertyName("failed")]
    public long Failed { get; set; }

    [JsonPropertyName("finishedAt")]
    public DateTimeOffset FinishedAt { get; set; }

    /// <summary>Each finished item and its result file (relative to the output directory).</summary>
    [JsonPropertyName("results")]
    public List<BatchResultEntry> Results { get; set; } = [];

    [JsonPropertyName("failedItems")]
    public List<BatchFailure> FailedItems { get; set; } = [];
}

/// <summary>One finished item of a batch job.</summary>
public sealed class BatchResultEntry
{
    [JsonPropertyName("item")]
    public string Item { get; set; } = "";

    [JsonPropertyName("result")]
    public string Result { get; set; } = "";
}
