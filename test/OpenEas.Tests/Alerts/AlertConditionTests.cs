using OpenEas.Core.Alerts;

namespace OpenEas.Tests.Alerts;

public class AlertConditionTests
{
    [Theory]
    [InlineData("p99 > 200ms for 30s", AlertMetric.P99, AlertOp.Greater, 200, 30, "p99 > 200ms for 30s")]
    [InlineData("p99>200ms for 30s", AlertMetric.P99, AlertOp.Greater, 200, 30, "p99 > 200ms for 30s")]
    [InlineData("  P99  >=  0.5s  FOR  2m ", AlertMetric.P99, AlertOp.GreaterOrEqual, 500, 120, "p99 >= 500ms for 2m")]
    [InlineData("p50 > 200 ms for 10s", AlertMetric.P50, AlertOp.Greater, 200, 10, "p50 > 200ms for 10s")]
    [InlineData("mean > 80", AlertMetric.Mean, AlertOp.Greater, 80, 0, "mean > 80ms for 0s")]
    [InlineData("error_rate > 1% for 1m", AlertMetric.ErrorRate, AlertOp.Greater, 1, 60, "error_rate > 1% for 1m")]
    [InlineData("error_rate > 0.5 for 90s", AlertMetric.ErrorRate, AlertOp.Greater, 0.5, 90, "error_rate > 0.5% for 90s")]
    [InlineData("qps < 5 for 5m", AlertMetric.Qps, AlertOp.Less, 5, 300, "qps < 5 for 5m")]
    [InlineData("instances <= 0 for 1h", AlertMetric.Instances, AlertOp.LessOrEqual, 0, 3600, "instances <= 0 for 1h")]
    [InlineData("memory > 1.5GB for 30", AlertMetric.Memory, AlertOp.Greater, 1536, 30, "memory > 1536MB for 30s")]
    [InlineData("memory > 512MB", AlertMetric.Memory, AlertOp.Greater, 512, 0, "memory > 512MB for 0s")]
    [InlineData("cpu > 90% for 1m", AlertMetric.Cpu, AlertOp.Greater, 90, 60, "cpu > 90% for 1m")]
    [InlineData("errors > 0", AlertMetric.Errors, AlertOp.Greater, 0, 0, "errors > 0 for 0s")]
    [InlineData("waiting > 10 for 5s", AlertMetric.Waiting, AlertOp.Greater, 10, 5, "waiting > 10 for 5s")]
    [InlineData("inflight >= 8 for 5s", AlertMetric.InFlight, AlertOp.GreaterOrEqual, 8, 5, "inflight >= 8 for 5s")]
    public void Good_expressions_parse_and_print_back_in_short_form(string text, AlertMetric metric, AlertOp op, double threshold,
        int forSeconds, string printed)
    {
        Assert.True(AlertCondition.TryParse(text, out var c, out var error), error);
        Assert.Equal(new AlertCondition(metric, op, threshold, forSeconds), c);
        Assert.Equal(printed, c.ToString());
        Assert.True(AlertCondition.TryParse(printed, out var again, out _));
        Assert.Equal(c, again);
    }

    [Theory]
    [InlineData("", "the expression is empty")]
    [InlineData("   ", "the expression is empty")]
    [InlineData("> 200ms", "metric: expected a metric name at the start, got \"> 200ms\"")]
    [InlineData("p98 > 200ms", "metric: \"p98\" is not a metric (one of qps, p50, p90, p99, max, mean, error_rate, errors, inflight, waiting, instances, cpu, memory)")]
    [InlineData("p99 200ms", "operator: expected >, >=, < or <= after \"p99\", got \"200ms\"")]
    [InlineData("p99", "operator: expected >, >=, < or <= after \"p99\", got the end")]
    [InlineData("p99 => 200ms", "operator: \"=>\" is not an operator (use >, >=, < or <=)")]
    [InlineData("p99 == 200ms", "operator: \"==\" is not an operator")]
    [InlineData("p99 > fast", "threshold: expected a number after \">\", got \"fast\"")]
    [InlineData("p99 >", "threshold: expected a number after \">\", got the end")]
    [InlineData("p99 > -5ms", "threshold: -5 is negative")]
    [InlineData("p99 > 200GB", "threshold: unit \"GB\" does not fit p99 (use ms or s)")]
    [InlineData("error_rate > 1ms", "threshold: unit \"ms\" does not fit error_rate (use %)")]
    [InlineData("memory > 1TB", "threshold: unit \"TB\" does not fit memory (use MB or GB)")]
    [InlineData("qps < 5rps", "threshold: unit \"rps\" does not fit qps (it is a count: no unit)")]
    [InlineData("p99 > 200ms during 30s", "expected \"for <duration>\" after the threshold, got \"during\"")]
    [InlineData("p99 > 200ms for", "for: expected a duration after \"for\"")]
    [InlineData("p99 > 200ms for 30x", "for: \"30x\" is not a duration (use s, m or h")]
    [InlineData("p99 > 200ms for 1.5s", "for: \"1.5s\" is not a duration")]
    [InlineData("p99 > 200ms for 2h", "for: 2h is out of range (0s to 1h)")]
    [InlineData("p99 > 200ms for 30s please", "unexpected \"please\" after the duration")]
    public void Bad_expressions_are_refused_naming_the_part_that_is_wrong(string text, string message)
    {
        Assert.False(AlertCondition.TryParse(text, out _, out var error));
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(AlertMetric.P99, 231.4, "231.4 ms")]
    [InlineData(AlertMetric.ErrorRate, 1.25, "1.25 %")]
    [InlineData(AlertMetric.Memory, 512, "512 MB")]
    [InlineData(AlertMetric.Qps, 3, "3")]
    public void Values_are_shown_with_their_unit(AlertMetric metric, double value, string shown) =>
        Assert.Equal(shown, new AlertCondition(metric, AlertOp.Greater, 0, 0).WithUnit(value));
}
