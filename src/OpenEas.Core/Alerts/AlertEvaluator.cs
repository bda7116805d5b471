using OpenEas.Contracts;

namespace OpenEas.Core.Alerts;

/// <summary>Where an alert is: condition false, condition true for less than <c>for</c>, or firing.</summary>
public enum AlertPhase
{
    Inactive,
    Pending,
    Firing,
}

/// <summary>What an evaluation changed that people must hear about.</summary>
public enum AlertTransition
{
    Fired,
    Resolved,
}

/// <summary>
/// The evaluator's memory of one rule: its phase, since when the condition has held (<see cref="ActiveSince"/>),
/// when it fired (<see cref="FiringSince"/>), the last value read (null: no data) and, after a resolve, when.
/// </summary>
public sealed record AlertState(AlertPhase Phase, DateTimeOffset? ActiveSince, DateTimeOffset? FiringSince, double? Value,
    DateTimeOffset? ResolvedAt = null)
{
    public static AlertState Inactive { get; } = new(AlertPhase.Inactive, null, null, null);
}

/// <summary>
/// The alert decision, a pure function of (rule, state, the newest closed second, now). Inactive → Pending when the
/// condition becomes true; Pending → Firing once it has held for <c>for</c> (at once when <c>for</c> is 0);
/// Pending → Inactive when it turns false before that (so flapping within <c>for</c> never fires); Firing → Inactive
/// with a Resolved transition when it turns false.
/// No data (no point, or a second without calls for latency and error rate) keeps the state as it is: it neither
/// fires nor resolves, since a silent service is neither slow nor fast. A Pending rule that gets data again goes on
/// from when its condition first held.
/// </summary>
public static class AlertEvaluator
{
    /// <summary>A point older than this is no data (its series has stopped being closed).</summary>
    public static readonly TimeSpan Staleness = TimeSpan.FromSeconds(5);

    /// <summary>Evaluates a rule on the newest closed second of its service (null when there is none).</summary>
    public static (AlertState State, AlertTransition? Transition) Evaluate(AlertRule rule, AlertState state, MetricPoint? point,
        DateTimeOffset now)
    {
        var fresh = point is not null && now - point.Time <= Staleness ? point : null;
        return Evaluate(rule.Condition, state, AlertMetrics.Read(rule.Condition.Metric, fresh), now);
    }

    public static (AlertState State, AlertTransition? Transition) Evaluate(AlertCondition condition, AlertState state, double? value,
        DateTimeOffset now)
    {
        if (value is not { } v)
        {
            return (state with { Value = null }, null);
        }

        if (!AlertMetrics.Holds(condition.Op, v, condition.Threshold))
        {
            return state.Phase == AlertPhase.Firing
                ? (new AlertState(AlertPhase.Inactive, null, state.FiringSince, v, now), AlertTransition.Resolved)
                : (AlertState.Inactive with { Value = v }, null);
        }

        var since = state.Phase == AlertPhase.Inactive ? now : state.ActiveSince ?? now;
        if (state.Phase == AlertPhase.Firing)
        {
            return (state with { Value = v }, null);
        }

        return now - since >= TimeSpan.FromSeconds(condition.ForSeconds)
            ? (new AlertState(AlertPhase.Firing, since, now, v), AlertTransition.Fired)
            : (new AlertState(AlertPhase.Pending, since, null, v), null);
    }

    /// <summary>One line for events and notifications: <c>p99 231 ms &gt; 200 ms for 30 s</c>, or how it resolved.</summary>
    public static string Message(AlertCondition condition, AlertTransition transition, AlertState state)
    {
        var metric = AlertMetrics.Name(condition.Metric);
        var value = state.Value is { } v ? condition.WithUnit(v) : "no data";
        var threshold = condition.WithUnit(condition.Threshold);
        var op = AlertMetrics.Symbol(condition.Op);
        if (transition == AlertTransition.Fired)
        {
            return condition.ForSeconds > 0
                ? $"{metric} {value} {op} {threshold} for {condition.ForSeconds} s"
                : $"{metric} {value} {op} {threshold}";
        }

        var lasted = state.FiringSince is { } start && state.ResolvedAt is { } end ? $" after {(long)(end - start).TotalSeconds} s" : "";
        return $"{metric} {value}, no longer {op} {threshold} (resolved{lasted})";
    }
}
