using System.Text.Json.Serialization;

namespace OpenEas.Contracts;

/// <summary>Body of <c>POST /services/{name}/alerts</c>: a rule as a short expression, or as its parts.</summary>
public sealed class AlertRuleRequest
{
    /// <summary>Optional; defaults to <c>high-&lt;metric&gt;</c> (for &gt;, &gt;=) or <c>low-&lt;metric&gt;</c>.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary>The rule in short form, e.g. <c>p99 &gt; 200ms for 30s</c>; give this or metric/op/threshold.</summary>
    [JsonPropertyName("expr")]
    public string? Expr { get; set; }

    /// <summary>qps, p50, p90, p99, max, mean, error_rate, errors, inflight, waiting, instances, cpu, memory.</summary>
    [JsonPropertyName("metric")]
    public string? Metric { get; set; }

    /// <summary>&gt;, &gt;=, &lt; or &lt;=.</summary>
    [JsonPropertyName("op")]
    public string? Op { get; set; }

    /// <summary>In the metric's unit: ms for latency, % for error_rate and cpu, MB for memory, a count otherwise.</summary>
    [JsonPropertyName("threshold")]
    public double? Threshold { get; set; }

    /// <summary>Seconds the condition must hold before the alert fires (0-3600); 0 when omitted.</summary>
    [JsonPropertyName("for")]
    public int? For { get; set; }

    /// <summary>An http or https URL that receives firing and resolved notifications (optional).</summary>
    [JsonPropertyName("webhook")]
    public string? Webhook { get; set; }

    [JsonPropertyName("enabled")]
    public bool? Enabled { get; set; }
}

/// <summary>An alert rule with its current state, as the API lists it.</summary>
public sealed class AlertRuleInfo
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("service")]
    public required string Service { get; init; }

    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>The rule in short form, e.g. <c>p99 &gt; 200ms for 30s</c>.</summary>
    [JsonPropertyName("expr")]
    public required string Expr { get; init; }

    [JsonPropertyName("metric")]
    public required string Metric { get; init; }

    [JsonPropertyName("op")]
    public required string Op { get; init; }

    /// <summary>In the metric's unit (see <see cref="Unit"/>).</summary>
    [JsonPropertyName("threshold")]
    public double Threshold { get; init; }

    /// <summary>ms, %, MB, or empty for counts.</summary>
    [JsonPropertyName("unit")]
    public string Unit { get; init; } = "";

    [JsonPropertyName("for")]
    public int For { get; init; }

    [JsonPropertyName("webhook")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Webhook { get; init; }

    [JsonPropertyName("enabled")]
    public bool Enabled { get; init; } = true;

    [JsonPropertyName("createTime")]
    public DateTimeOffset CreateTime { get; init; }

    /// <summary>Inactive, Pending (condition true, waiting out <c>for</c>) or Firing.</summary>
    [JsonPropertyName("state")]
    public string State { get; set; } = AlertStates.Inactive;

    /// <summary>The metric's value at the last evaluation; null when there was no data.</summary>
    [JsonPropertyName("value")]
    public double? Value { get; set; }

    /// <summary>When the current state began (Pending: the condition became true; Firing: the alert fired).</summary>
    [JsonPropertyName("since")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? Since { get; set; }
}

/// <summary>The states of an alert.</summary>
public static class AlertStates
{
    public const string Inactive = "Inactive";
    public const string Pending = "Pending";
    public const string Firing = "Firing";
}

/// <summary>
/// What a webhook receives (POST, JSON) when an alert fires or resolves; shaped after Alertmanager's alerts.
/// </summary>
public sealed class AlertNotification
{
    /// <summary><c>firing</c> or <c>resolved</c>.</summary>
    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonPropertyName("service")]
    public required string Service { get; init; }

    [JsonPropertyName("rule")]
    public required AlertNotificationRule Rule { get; init; }

    /// <summary>The metric's value that fired (or resolved) the alert, in the rule's unit.</summary>
    [JsonPropertyName("value")]
    public double? Value { get; init; }

    [JsonPropertyName("threshold")]
    public double Threshold { get; init; }

    /// <summary>When the alert started firing.</summary>
    [JsonPropertyName("startsAt")]
    public DateTimeOffset StartsAt { get; init; }

    /// <summary>When it resolved (only in <c>resolved</c> notifications).</summary>
    [JsonPropertyName("endsAt")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? EndsAt { get; init; }

    /// <summary>One line for people, e.g. <c>p99 231 ms &gt; 200 ms for 30 s</c>.</summary>
    [JsonPropertyName("message")]
    public string Message { get; init; } = "";
}

/// <summary>The rule a notification is about.</summary>
public sealed class AlertNotificationRule
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("expr")]
    public required string Expr { get; init; }
}
