using OpenEas.Client.Stress;

namespace OpenEas.Tests.Stress;

public class RampDecisionTests
{
    private static readonly RampLimits Limits = new(TimeSpan.FromMilliseconds(500), 0.01);

    [Theory]
    // offered, achieved, ok, errors, p99 ms → verdict
    [InlineData(100, 99, 990, 0, 20, RampVerdict.Pass)]
    [InlineData(100, 100, 990, 10, 20, RampVerdict.Pass)]              // 1.0 % errors: at the threshold, not over
    [InlineData(100, 100, 980, 20, 20, RampVerdict.TooManyErrors)]     // 2 %
    [InlineData(100, 100, 1000, 0, 500, RampVerdict.Pass)]             // p99 at the SLO passes
    [InlineData(100, 100, 1000, 0, 501, RampVerdict.P99OverSlo)]
    [InlineData(100, 90, 900, 0, 20, RampVerdict.Pass)]                // exactly 90 % of offered
    [InlineData(100, 89.9, 899, 0, 20, RampVerdict.ThroughputFlat)]
    [InlineData(100, 0, 0, 0, 0, RampVerdict.ThroughputFlat)]          // nothing answered
    [InlineData(100, 50, 500, 500, 900, RampVerdict.TooManyErrors)]    // errors are judged first
    [InlineData(100, 50, 500, 0, 900, RampVerdict.P99OverSlo)]         // then latency
    public void A_step_is_judged_by_errors_then_p99_then_throughput(double offered, double achieved, long ok, long errors, double p99,
        RampVerdict expected) =>
        Assert.Equal(expected, RampDecision.Decide(new StepObservation(offered, achieved, ok, errors, p99), Limits));

    [Fact]
    public void The_verdict_says_which_limit_was_hit()
    {
        var step = new StepObservation(100, 100, 980, 20, 20);
        Assert.Equal("errors 2% > 1%", RampDecision.Describe(RampDecision.Decide(step, Limits), step, Limits));
        var slow = new StepObservation(100, 100, 1000, 0, 812.5);
        Assert.Equal("p99 812.5 ms > SLO 500 ms", RampDecision.Describe(RampDecision.Decide(slow, Limits), slow, Limits));
    }

    [Theory]
    [InlineData(RampVerdict.Pass, false, RampNext.Raise)]
    [InlineData(RampVerdict.Pass, true, RampNext.Raise)]               // a confirmed pass goes on raising
    [InlineData(RampVerdict.TooManyErrors, false, RampNext.Confirm)]   // one failure is repeated at the same rate
    [InlineData(RampVerdict.P99OverSlo, false, RampNext.Confirm)]
    [InlineData(RampVerdict.ThroughputFlat, false, RampNext.Confirm)]
    [InlineData(RampVerdict.TooManyErrors, true, RampNext.Stop)]       // failing again is the limit
    [InlineData(RampVerdict.ThroughputFlat, true, RampNext.Stop)]
    public void A_failed_step_is_confirmed_once_before_the_ramp_stops(RampVerdict verdict, bool confirming, RampNext expected) =>
        Assert.Equal(expected, RampDecision.Next(verdict, confirming));

    [Theory]
    [InlineData(RampVerdict.TooManyErrors, false, RampNext.Repeat)]    // the generator's own pause made the burst
    [InlineData(RampVerdict.TooManyErrors, true, RampNext.Repeat)]     // even while confirming: that run proved nothing
    [InlineData(RampVerdict.Pass, false, RampNext.Raise)]              // a late generator that still passed is a pass
    public void A_step_failed_while_the_generator_ran_late_is_repeated(RampVerdict verdict, bool confirming, RampNext expected) =>
        Assert.Equal(expected, RampDecision.Next(verdict, confirming, generatorLate: true));
}
