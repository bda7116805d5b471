using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OpenEas.Contracts;

/// <summary>A service as <c>desc</c> shows it, with EAS's field names.</summary>
public sealed class ServiceDescription
{
    public required string ServiceName { get; init; }
    public required string Status { get; init; }
    public string Reason { get; set; } = "";
    public string Message { get; set; } = "";
    public int RunningInstance { get; init; }
    public int PendingInstance { get; init; }
    public int TotalInstance { get; init; }
    /// <summary>The instance count asked for; kept while stopped (then <see cref="TotalInstance"/> is 0).</summary>
    public int DesiredInstance { get; init; }
    public int CurrentVersion { get; init; }
    public int LatestVersion { get; init; }
    public string AccessToken { get; set; } = "";
    public string IntranetEndpoint { get; set; } = "";
    public string InternetEndpoint { get; set; } = "";
    public string Resource { get; set; } = "public";
    public string ServiceGroup { get; set; } = "";
    public int Weight { get; set; } = 100;
    public DateTimeOffset CreateTime { get; init; }
    public DateTimeOffset UpdateTime { get; init; }
    /// <summary>The spec of the current version, exactly as stored (unknown keys included).</summary>
    public JsonObject? ServiceConfig { get; init; }
    /// <summary>Autoscaling in force, with the last decisions and why (null when the count is fixed).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ScalingInfo? Scaling { get; set; }

    /// <summary>The canary release of this service, while one runs or after it ended (null when none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ReleaseInfo? Release { get; set; }

    /// <summary>Mirroring of this service's calls to test services (null when off).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MirrorSetting? Mirror { get; set; }

    /// <summary>Non-fatal findings about the spec (for example unknown keys), each naming a JSON path.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<SpecIssue>? Warnings { get; init; }
}

/// <summary>One finding about a spec: the JSON path of the field and what is wrong with it.</summary>
public sealed record SpecIssue(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("message")] string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}

/// <summary>One immutable version of a service's spec.</summary>
public sealed class ServiceVersionInfo
{
    public int Version { get; init; }
    public DateTimeOffset CreateTime { get; init; }
    public bool Current { get; init; }
    /// <summary>Whether this is the newest version (what <c>modify</c> last produced).</summary>
    public bool Latest { get; init; }
    public JsonObject? ServiceConfig { get; init; }
}

/// <summary>One running (or waiting, or dead) copy of a service version.</summary>
public sealed class InstanceInfo
{
    public required string InstanceName { get; init; }
    public int Version { get; init; }
    /// <summary>Pending, Starting, Ready, Draining, Exited, Failed.</summary>
    public required string Status { get; init; }
    public bool Ready { get; init; }
    public string HostIp { get; set; } = "127.0.0.1";
    public int Port { get; init; }
    public int? Pid { get; init; }
    /// <summary>The resource group the instance is placed in (empty while it waits for room).</summary>
    public string ResourceGroup { get; set; } = "public";
    /// <summary>Runs on spot (preemptible) capacity.</summary>
    public bool Spot { get; init; }
    /// <summary>Placed outside the service's own group (the elastic pool or a fallback); such instances go first on scale-in.</summary>
    public bool Overflow { get; init; }
    /// <summary>When a preemption notice ends this instance's life (null when none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? PreemptAt { get; init; }
    public DateTimeOffset CreateTime { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public int RestartCount { get; init; }
    public string Reason { get; set; } = "";
    public string Message { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public InstanceLastState? LastState { get; init; }
}

/// <summary>How an instance's previous run ended.</summary>
public sealed class InstanceLastState
{
    public int? ExitCode { get; init; }
    public string Reason { get; set; } = "";
    public DateTimeOffset FinishedAt { get; init; }
}

/// <summary>One entry of a service's event log.</summary>
public sealed class ServiceEvent
{
    public long Id { get; init; }
    public DateTimeOffset Time { get; init; }
    /// <summary>Normal or Warning.</summary>
    public string Type { get; set; } = "Normal";
    public required string Reason { get; init; }
    public string Message { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Instance { get; init; }
}

/// <summary>Body of <c>PUT /services/{name}/version</c>.</summary>
public sealed class VersionSwitchRequest
{
    [JsonPropertyName("version")]
    public int Version { get; init; }
}

/// <summary>Body of <c>POST /services/{name}/token</c> (optional): how long the replaced token stays valid.</summary>
public sealed class TokenRotateRequest
{
    /// <summary>Seconds; null means the server's default (3600).</summary>
    [JsonPropertyName("graceSeconds")]
    public int? GraceSeconds { get; init; }
}

/// <summary>Body of <c>PUT /services/{name}/scale</c>.</summary>
public sealed class ScaleRequest
{
    [JsonPropertyName("instance")]
    public int Instance { get; init; }
}

/// <summary>The answer of a call that changes a service: what it is now and what happened.</summary>
public sealed class ServiceChangeResult
{
    public required ServiceDescription Service { get; init; }
    /// <summary>created, new-version, scaled, unchanged, switched, started, stopped.</summary>
    public required string Change { get; init; }
}

/// <summary>Body of <c>POST /services/{name}/debug</c>: one call to make to the service through the gateway.</summary>
public sealed class DebugRequest
{
    [JsonPropertyName("method")]
    public string Method { get; set; } = "POST";

    /// <summary>Sub-path under the service (e.g. <c>v1/chat/completions?x=1</c>); empty for the service root.</summary>
    [JsonPropertyName("path")]
    public string Path { get; set; } = "";

    [JsonPropertyName("headers")]
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>The body as text (UTF-8).</summary>
    [JsonPropertyName("body")]
    public string? Body { get; set; }

    /// <summary>The body as base64, for binary payloads (wins over <see cref="Body"/>).</summary>
    [JsonPropertyName("bodyBase64")]
    public string? BodyBase64 { get; set; }
}

/// <summary>What the service answered to a debug call, with how long it took.</summary>
public sealed class DebugResponse
{
    [JsonPropertyName("status")]
    public int Status { get; set; }

    [JsonPropertyName("headers")]
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>The body as text when it is valid UTF-8, else null (see <see cref="BodyBase64"/>).</summary>
    [JsonPropertyName("body")]
    public string? Body { get; set; }

    [JsonPropertyName("bodyBase64")]
    public string BodyBase64 { get; set; } = "";

    [JsonPropertyName("elapsedMs")]
    public double ElapsedMs { get; set; }
}

/// <summary>A service's gateway counters since the server started, and its load right now.</summary>
public sealed class ServiceStats
{
    public long Requests { get; set; }
    public long Success { get; set; }
    public long ClientErrors { get; set; }
    public long ServerErrors { get; set; }
    /// <summary>Calls the gateway answered itself (401, 404, 408, 413, 429, 450, 499, 502, 503).</summary>
    public long Rejected { get; set; }
    public int InFlight { get; set; }
    public int Waiting { get; set; }
}

/// <summary>One second (or minute) of a service's or an instance's load, as the metrics hub recorded it.</summary>
public sealed class MetricPoint
{
    /// <summary>Start of the interval (UTC).</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; set; }

    /// <summary>Length of the interval in seconds (1 or 60, or the query's step).</summary>
    [JsonPropertyName("seconds")]
    public int Seconds { get; set; } = 1;

    [JsonPropertyName("requests")]
    public long Requests { get; set; }

    /// <summary>Calls that arrived at the gateway (authenticated) in the interval: the demand, counted before any queue.</summary>
    [JsonPropertyName("arrivals")]
    public long Arrivals { get; set; }

    [JsonPropertyName("qps")]
    public double Qps { get; set; }

    [JsonPropertyName("status2xx")]
    public long Status2xx { get; set; }

    [JsonPropertyName("status4xx")]
    public long Status4xx { get; set; }

    [JsonPropertyName("status5xx")]
    public long Status5xx { get; set; }

    /// <summary>Calls the gateway answered itself (401, 404, 408, 413, 429, 450, 499, 502, 503).</summary>
    [JsonPropertyName("rejected")]
    public long Rejected { get; set; }

    [JsonPropertyName("p50Ms")]
    public double P50Ms { get; set; }

    [JsonPropertyName("p90Ms")]
    public double P90Ms { get; set; }

    [JsonPropertyName("p99Ms")]
    public double P99Ms { get; set; }

    [JsonPropertyName("maxMs")]
    public double MaxMs { get; set; }

    [JsonPropertyName("meanMs")]
    public double MeanMs { get; set; }

    [JsonPropertyName("bytesIn")]
    public long BytesIn { get; set; }

    [JsonPropertyName("bytesOut")]
    public long BytesOut { get; set; }

    /// <summary>Calls in flight when the interval closed.</summary>
    [JsonPropertyName("inFlight")]
    public int InFlight { get; set; }

    /// <summary>Calls waiting for a free instance when the interval closed.</summary>
    [JsonPropertyName("waiting")]
    public int Waiting { get; set; }

    /// <summary>Ready instances (service series) when the interval closed.</summary>
    [JsonPropertyName("instances")]
    public int Instances { get; set; }

    /// <summary>CPU used, in percent of one core (summed over instances for a service).</summary>
    [JsonPropertyName("cpuPercent")]
    public double CpuPercent { get; set; }

    /// <summary>Resident memory in bytes (summed over instances for a service).</summary>
    [JsonPropertyName("memoryBytes")]
    public long MemoryBytes { get; set; }
}

/// <summary>The answer of <c>GET /services/{name}/metrics</c>.</summary>
public sealed class MetricSeries
{
    [JsonPropertyName("service")]
    public string Service { get; set; } = "";

    /// <summary>The instance, or null for the whole service.</summary>
    [JsonPropertyName("instance")]
    public string? Instance { get; set; }

    [JsonPropertyName("step")]
    public int Step { get; set; }

    [JsonPropertyName("points")]
    public List<MetricPoint> Points { get; set; } = [];
}

/// <summary>A service's autoscaling as <c>desc</c> shows it.</summary>
public sealed class ScalingInfo
{
    /// <summary>Where the autoscaler comes from: "spec" or "api" (or "none" with only a schedule).</summary>
    public string Source { get; set; } = "none";
    public int? Min { get; set; }
    public int? Max { get; set; }
    /// <summary>e.g. <c>qps 100/inst</c>.</summary>
    public List<string> Targets { get; set; } = [];
    public bool Scheduled { get; set; }
    /// <summary>The schedule's jobs, e.g. <c>schedule1 "0 0 9 * * *" → 3 (Asia/Shanghai)</c>; empty without a schedule.</summary>
    public List<string> ScheduledJobs { get; set; } = [];
    /// <summary>The schedule's next firing, e.g. <c>schedule2 → 1 at 2026-12-05T13:00:00Z</c>; null when none is due within a year.</summary>
    public string? NextScheduled { get; set; }
    /// <summary>The newest scaling decisions (Autoscaled, CronScaled events), newest last.</summary>
    public List<ServiceEvent> Recent { get; set; } = [];
}
