using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OpenEas.Contracts;

/// <summary>A service group: one endpoint over its member services, spread by weight (<c>eas group desc</c>).</summary>
public sealed class GroupInfo
{
    public required string GroupName { get; init; }
    /// <summary><c>/api/predict/{group}</c>; a member alone is <c>/api/predict/{group}.{service}</c>.</summary>
    public string Endpoint { get; set; } = "";
    public List<GroupMemberInfo> Members { get; init; } = [];
    /// <summary>The header whose value keeps one user on one member (null when none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StickyHeader { get; set; }
    /// <summary>The cookie whose value keeps one user on one member (null when none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StickyCookie { get; set; }
}

/// <summary>One member of a group.</summary>
public sealed class GroupMemberInfo
{
    public required string ServiceName { get; init; }
    public int Weight { get; init; }
    /// <summary>Its share of the group's traffic now, in percent.</summary>
    public double Share { get; init; }
    public string Status { get; init; } = "";
    public int RunningInstance { get; init; }
    public int CurrentVersion { get; init; }
    /// <summary><c>/api/predict/{group}.{service}</c>.</summary>
    public string Endpoint { get; init; } = "";
}

/// <summary>New weights for some members of a group, applied together: <c>{"weights": {"blue": 0, "green": 100}}</c>.</summary>
public sealed class GroupWeightRequest
{
    [JsonPropertyName("weights")]
    public Dictionary<string, int> Weights { get; init; } = [];
}

/// <summary>A group's sticky key: a header or a cookie (both null: none).</summary>
public sealed class GroupStickyRequest
{
    [JsonPropertyName("header")]
    public string? Header { get; init; }
    [JsonPropertyName("cookie")]
    public string? Cookie { get; init; }
}

/// <summary>EAS's release call: a member's weight in its group (<c>PUT /services/{name}/release</c>).</summary>
public sealed class ReleaseWeightRequest
{
    [JsonPropertyName("weight")]
    public int? Weight { get; init; }
}

/// <summary>Mirroring of a service's calls, in EAS's shape: <c>{"Ratio": 20, "Target": ["test"]}</c>.</summary>
public sealed class MirrorSetting
{
    public int Ratio { get; init; }
    public List<string> Target { get; init; } = [];
}

/// <summary>Main versus mirror over the mirrored calls, per target (<c>eas mirror svc --report</c>).</summary>
public sealed class MirrorReport
{
    public required string ServiceName { get; init; }
    public int Ratio { get; init; }
    public List<MirrorTargetReport> Targets { get; init; } = [];
}

/// <summary>What one mirror target answered compared with the main service.</summary>
public sealed class MirrorTargetReport
{
    public required string Target { get; init; }
    /// <summary>Copies sent and answered (or failed in transport).</summary>
    public long Mirrored { get; init; }
    /// <summary>Copies dropped because the mirror queue was full (the mirror is slower than the traffic).</summary>
    public long Dropped { get; init; }
    /// <summary>Calls not copied: body too large to buffer, or the target had no ready instance.</summary>
    public long Skipped { get; init; }
    /// <summary>Copies that got no answer (connection failed, timed out).</summary>
    public long Failed { get; init; }
    public Dictionary<string, long> MainStatus { get; init; } = [];
    public Dictionary<string, long> MirrorStatus { get; init; } = [];
    public LatencySummary MainLatency { get; init; } = new();
    public LatencySummary MirrorLatency { get; init; } = new();
    /// <summary>Calls where both answered and the status or the body differed.</summary>
    public long Differed { get; init; }
    /// <summary>Calls where both answered and were compared.</summary>
    public long Compared { get; init; }
    public List<MirrorDifference> Examples { get; init; } = [];
}

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed class LatencySummary
{
    public long Count { get; init; }
    public double P50Ms { get; init; }
    public double P90Ms { get; init; }
    public double P99Ms { get; init; }
}

/// <summary>One call where main and mirror differed (bodies cut to a few hundred bytes).</summary>
public sealed class MirrorDifference
{
    public DateTimeOffset Time { get; init; }
    public string Path { get; init; } = "";
    public int MainStatus { get; init; }
    public int MirrorStatus { get; init; }
    public string MainBody { get; init; } = "";
    public string MirrorBody { get; init; } = "";
}

/// <summary>Starts a progressive canary release (<c>eas release svc --spec new.json ...</c>).</summary>
public sealed class CanaryRequest
{
    /// <summary>The new version's spec (whole, or the fields that change).</summary>
    [JsonPropertyName("spec")]
    public JsonObject? Spec { get; init; }
    /// <summary>The canary's share at each step, rising, in percent; the last is 100.</summary>
    [JsonPropertyName("steps")]
    public List<int>? Steps { get; init; }
    [JsonPropertyName("pauseSeconds")]
    public double? PauseSeconds { get; init; }
    /// <summary>The highest 5xx rate allowed (0.01 = 1 %), judged on a 95 % lower bound so a few calls cannot trip it.</summary>
    [JsonPropertyName("maxErrorRate")]
    public double? MaxErrorRate { get; init; }
    /// <summary>The highest canary p99 over the baseline's p99.</summary>
    [JsonPropertyName("maxP99Ratio")]
    public double? MaxP99Ratio { get; init; }
    /// <summary>Canary calls a step needs before it may advance.</summary>
    [JsonPropertyName("minCalls")]
    public int? MinCalls { get; init; }
}

/// <summary>A hand action on a release: pause, resume, abort or promote.</summary>
public sealed class CanaryActionRequest
{
    [JsonPropertyName("action")]
    public string Action { get; init; } = "";
}

/// <summary>States of a canary release.</summary>
public static class ReleaseStates
{
    /// <summary>The canary is starting; it takes no traffic yet.</summary>
    public const string Starting = "Starting";
    public const string Progressing = "Progressing";
    /// <summary>Held at its step by hand; a breach still rolls it back.</summary>
    public const string Paused = "Paused";
    /// <summary>The new version is being rolled out as the service's own new version; the canary serves meanwhile.</summary>
    public const string Promoting = "Promoting";
    public const string Promoted = "Promoted";
    public const string RolledBack = "RolledBack";
    public const string Aborted = "Aborted";

    public static bool IsActive(string state) => state is Starting or Progressing or Paused or Promoting;
}

/// <summary>A canary release as it stands (in <c>eas desc</c> and <c>eas release svc</c>).</summary>
public sealed class ReleaseInfo
{
    public required string ServiceName { get; init; }
    /// <summary>The service running the new version while it is judged: <c>{service}_canary</c>.</summary>
    public required string Canary { get; init; }
    public string State { get; set; } = ReleaseStates.Starting;
    public string Reason { get; set; } = "";
    public List<int> Steps { get; init; } = [];
    /// <summary>Index into <see cref="Steps"/> (-1 before the first).</summary>
    public int Step { get; set; } = -1;
    /// <summary>The canary's share of the service's traffic now, in percent.</summary>
    public int Weight { get; set; }
    public double PauseSeconds { get; init; }
    public double MaxErrorRate { get; init; }
    public double MaxP99Ratio { get; init; }
    public int MinCalls { get; init; }
    public DateTimeOffset StartTime { get; init; }
    public DateTimeOffset? StepStartTime { get; set; }
    public DateTimeOffset UpdateTime { get; set; }
    /// <summary>The new spec (as given), applied to the service on promotion.</summary>
    public JsonObject? Spec { get; init; }
    /// <summary>The version of the service that promotion made (0 until then).</summary>
    public int PromotedVersion { get; set; }
    /// <summary>The latest judgement of the current step.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CanaryObservation? Observed { get; set; }
    public List<ServiceEvent> History { get; init; } = [];
}

/// <summary>What the judge saw of the canary and the baseline in the current step.</summary>
public sealed class CanaryObservation
{
    public long CanaryCalls { get; init; }
    public long CanaryErrors { get; init; }
    /// <summary>The canary's 5xx rate, and the 95 % lower bound the limit is compared with.</summary>
    public double ErrorRate { get; init; }
    public double ErrorRateLowerBound { get; init; }
    public long BaselineCalls { get; init; }
    public double BaselineErrorRate { get; init; }
    public double CanaryP99Ms { get; init; }
    public double BaselineP99Ms { get; init; }
}
