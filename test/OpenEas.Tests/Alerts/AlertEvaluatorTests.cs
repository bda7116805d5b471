using Microsoft.Extensions.Time.Testing;
using OpenEas.Contracts;
using OpenEas.Core.Alerts;

namespace OpenEas.Tests.Alerts;

public class AlertEvaluatorTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Feeds one value a second (<c>_</c> is no data) through the evaluator with a fake clock; returns the phase after
    /// each second (I, P, F) and the transitions (F fired, R resolved, - none).
    /// </summary>
    private static (string Phases, string Transitions) Run(string expr, string values)
    {
        Assert.True(AlertCondition.TryParse(expr, out var condition, out var error), error);
        var clock = new FakeTimeProvider(Start);
        var state = AlertState.Inactive;
        var phases = new List<string>();
        var transitions = new List<string>();
        foreach (var token in values.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            double? value = token == "_" ? null : double.Parse(token, System.Globalization.CultureInfo.InvariantCulture);
            (state, var transition) = AlertEvaluator.Evaluate(condition, state, value, clock.GetUtcNow());
            phases.Add(state.Phase.ToString()[..1]);
            transitions.Add(transition switch { AlertTransition.Fired => "F", AlertTransition.Resolved => "R", _ => "-" });
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        return (string.Join(' ', phases), string.Join(' ', transitions));
    }

    [Theory]
    // Fires only once the condition has held for `for` (true at t, t+1, t+2 for 2 s).
    [InlineData("p99 > 200ms for 2s", "250 250 250", "P P F", "- - F")]
    [InlineData("p99 > 200ms for 2s", "100 250 250 250 250", "I P P F F", "- - - F -")]
    // Resolves when the condition clears, and can fire again after a new `for`.
    [InlineData("p99 > 200ms for 2s", "250 250 250 250 150", "P P F F I", "- - F - R")]
    [InlineData("p99 > 200ms for 1s", "250 250 150 250 250", "P F I P F", "- F R - F")]
    // Flapping within `for` never fires.
    [InlineData("p99 > 200ms for 2s", "250 100 250 100 250 100 250", "P I P I P I P", "- - - - - - -")]
    [InlineData("p99 > 200ms for 2s", "250 250 200 250 250", "P P I P P", "- - - - -")]
    // `for 0` fires on the first true second.
    [InlineData("p99 > 200ms for 0s", "250 100", "F I", "F R")]
    // >= and <= include the threshold; < fires on low traffic.
    [InlineData("p99 >= 200ms for 0s", "200 199.9", "F I", "F R")]
    [InlineData("qps < 5 for 1s", "10 4 3 0 6", "I P F F I", "- - F - R")]
    [InlineData("qps <= 5 for 0s", "5 6", "F I", "F R")]
    // No data keeps the state: it neither fires, nor resolves, nor resets a pending rule.
    [InlineData("p99 > 200ms for 2s", "_ _ _", "I I I", "- - -")]
    [InlineData("p99 > 200ms for 2s", "250 250 250 _ _ _ 100", "P P F F F F I", "- - F - - - R")]
    [InlineData("p99 > 200ms for 2s", "250 _ _", "P P P", "- - -")]
    [InlineData("p99 > 200ms for 2s", "250 _ 250", "P P F", "- - F")]
    [InlineData("p99 > 200ms for 2s", "250 _ 100 250", "P P I P", "- - - -")]
    public void Transitions_follow_the_condition_and_the_for_duration(string expr, string values, string phases, string transitions)
    {
        Assert.Equal((phases, transitions), Run(expr, values));
    }

    [Fact]
    public void Firing_and_resolved_states_carry_the_times_notifications_need()
    {
        Assert.True(AlertCondition.TryParse("p99 > 200ms for 2s", out var c, out _));
        var s = AlertState.Inactive;
        (s, _) = AlertEvaluator.Evaluate(c, s, 250, Start);
        (s, _) = AlertEvaluator.Evaluate(c, s, 260, Start.AddSeconds(1));
        (s, var fired) = AlertEvaluator.Evaluate(c, s, 231, Start.AddSeconds(2));
        Assert.Equal(AlertTransition.Fired, fired);
        Assert.Equal(new AlertState(AlertPhase.Firing, Start, Start.AddSeconds(2), 231), s);
        Assert.Equal("p99 231 ms > 200 ms for 2 s", AlertEvaluator.Message(c, AlertTransition.Fired, s));

        (s, var resolved) = AlertEvaluator.Evaluate(c, s, 12.5, Start.AddSeconds(47));
        Assert.Equal(AlertTransition.Resolved, resolved);
        Assert.Equal(new AlertState(AlertPhase.Inactive, null, Start.AddSeconds(2), 12.5, Start.AddSeconds(47)), s);
        Assert.Equal("p99 12.5 ms, no longer > 200 ms (resolved after 45 s)", AlertEvaluator.Message(c, AlertTransition.Resolved, s));
    }

    private static MetricPoint Point(long requests, double p99 = 0, long status5xx = 0, long rejected = 0, int seconds = 0) => new()
    {
        Time = Start.AddSeconds(seconds),
        Requests = requests,
        Qps = requests,
        P99Ms = p99,
        Status5xx = status5xx,
        Rejected = rejected,
        Instances = 2,
        MemoryBytes = 300L * 1024 * 1024,
    };

    [Theory]
    [InlineData(AlertMetric.P99, 10, 250, 0, 0, 250.0)]
    [InlineData(AlertMetric.P99, 0, 0, 0, 0, null)] // no calls: a percentile means nothing
    [InlineData(AlertMetric.ErrorRate, 0, 0, 0, 0, null)]
    [InlineData(AlertMetric.ErrorRate, 200, 0, 3, 1, 2.0)]
    [InlineData(AlertMetric.ErrorRate, 4, 0, 4, 4, 100.0)] // capped: a 503 rejection is in both counts
    [InlineData(AlertMetric.Errors, 200, 0, 3, 1, 3.0)]
    [InlineData(AlertMetric.Qps, 0, 0, 0, 0, 0.0)] // no calls is a reading of 0 for counts
    [InlineData(AlertMetric.Instances, 0, 0, 0, 0, 2.0)]
    [InlineData(AlertMetric.Memory, 0, 0, 0, 0, 300.0)]
    public void Readings_of_a_point(AlertMetric metric, long requests, double p99, long status5xx, long rejected, double? expected)
    {
        Assert.Equal(expected, AlertMetrics.Read(metric, Point(requests, p99, status5xx, rejected)));
    }

    [Fact]
    public void A_stale_or_missing_point_is_no_data()
    {
        var rule = new AlertRule { Id = "a", Service = "s", Name = "low-qps", Condition = new AlertCondition(AlertMetric.Qps, AlertOp.Less, 5, 0) };
        Assert.Equal(AlertPhase.Firing, AlertEvaluator.Evaluate(rule, AlertState.Inactive, Point(0), Start.AddSeconds(1)).State.Phase);
        Assert.Equal(AlertPhase.Inactive, AlertEvaluator.Evaluate(rule, AlertState.Inactive, Point(0), Start.AddSeconds(10)).State.Phase);
        Assert.Equal(AlertPhase.Inactive, AlertEvaluator.Evaluate(rule, AlertState.Inactive, null, Start).State.Phase);
    }
}
