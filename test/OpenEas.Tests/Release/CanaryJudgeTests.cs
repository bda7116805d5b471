using Microsoft.Extensions.Time.Testing;
using OpenEas.Contracts;
using OpenEas.Core.Release;

namespace OpenEas.Tests.Release;

public class CanaryJudgeTests
{
    private static readonly CanaryPolicy Policy = new(MaxErrorRate: 0.01, MaxP99Ratio: 1.5, MinCalls: 20, Pause: TimeSpan.FromSeconds(60));

    /// <summary>Per-second points: <paramref name="seconds"/> seconds of <paramref name="perSecond"/> calls, <paramref name="errors"/> 5xx in all.</summary>
    private static List<MetricPoint> Points(int seconds, long perSecond, long errors, double p99Ms)
    {
        var list = new List<MetricPoint>();
        for (var s = 0; s < seconds; s++)
        {
            var e = errors / seconds + (s < errors % seconds ? 1 : 0);
            list.Add(new MetricPoint { Requests = perSecond, Status5xx = e, Status2xx = perSecond - e, P99Ms = p99Ms });
        }

        return list;
    }

    public static IEnumerable<object[]> Cases => new (string, int, long, long, double, int, long, long, double, bool, CanaryDecision)[]
    {
        // name, elapsed s, canary calls/s, canary 5xx, canary p99, baseline s, baseline calls/s, baseline 5xx, baseline p99, paused, decision
        ("20 % errors are caught within a few calls", 2, 3, 1, 5, 60, 50, 0, 5, false, CanaryDecision.Rollback),
        ("20 % errors on many calls", 10, 10, 20, 5, 60, 50, 0, 5, false, CanaryDecision.Rollback),
        ("one unlucky call out of fifty is no breach", 70, 1, 1, 5, 60, 50, 0, 5, false, CanaryDecision.Advance),
        ("an error rate the baseline has too is no breach", 70, 10, 21, 5, 60, 100, 180, 5, false, CanaryDecision.Advance),
        ("a breach rolls back even while paused", 5, 10, 10, 5, 60, 50, 0, 5, true, CanaryDecision.Rollback),
        ("p99 twice the baseline's", 70, 10, 0, 100, 60, 50, 0, 40, false, CanaryDecision.Rollback),
        ("p99 ratio on a fast service is noise under the delta", 70, 10, 0, 3, 60, 50, 0, 1, false, CanaryDecision.Advance),
        ("too few calls for the latency check", 2, 10, 0, 100, 60, 50, 0, 40, false, CanaryDecision.Hold),
        ("healthy but the pause is not over", 30, 10, 0, 5, 60, 50, 0, 5, false, CanaryDecision.Hold),
        ("healthy, pause over, too few calls", 70, 0, 0, 0, 60, 50, 0, 5, false, CanaryDecision.Hold),
        ("healthy and paused by hand", 70, 10, 0, 5, 60, 50, 0, 5, true, CanaryDecision.Hold),
        ("healthy, pause over", 70, 10, 0, 5, 60, 50, 0, 5, false, CanaryDecision.Advance),
        ("at 100 % the baseline's look-back is the reference", 70, 10, 0, 5, 60, 50, 0, 5, false, CanaryDecision.Advance),
    }.Select(c => new object[] { c.Item1, c.Item2, c.Item3, c.Item4, c.Item5, c.Item6, c.Item7, c.Item8, c.Item9, c.Item10, c.Item11 });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_is_judged(string name, int elapsed, long canaryPerSecond, long canaryErrors, double canaryP99, int baselineSeconds,
        long baselinePerSecond, long baselineErrors, double baselineP99, bool paused, CanaryDecision expected)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var stepStarted = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromSeconds(elapsed));

        var verdict = CanaryJudge.Judge(Points(Math.Max(1, Math.Min(elapsed, 60)), canaryPerSecond, canaryErrors, canaryP99),
            Points(baselineSeconds, baselinePerSecond, baselineErrors, baselineP99), Policy, stepStarted, clock.GetUtcNow(), paused);

        Assert.True(expected == verdict.Decision, $"{name}: expected {expected}, got {verdict.Decision} ({verdict.Reason})");
    }

    [Fact]
    public void A_cold_first_second_is_no_latency_regression_but_a_slow_version_is()
    {
        var cold = Points(10, 10, 0, 5);
        cold[0].P99Ms = 200;
        var slow = Points(10, 10, 0, 40);
        var baseline = Points(60, 50, 0, 5);
        var start = DateTimeOffset.UnixEpoch;

        Assert.Equal(CanaryDecision.Advance, CanaryJudge.Judge(cold, baseline, Policy with { Pause = TimeSpan.FromSeconds(10) }, start, start.AddSeconds(10), false).Decision);
        Assert.Equal(CanaryDecision.Rollback, CanaryJudge.Judge(slow, baseline, Policy with { Pause = TimeSpan.FromSeconds(10) }, start, start.AddSeconds(10), false).Decision);
        // Mid-step, latency is not judged yet (only errors are).
        Assert.Equal(CanaryDecision.Hold, CanaryJudge.Judge(slow, baseline, Policy with { Pause = TimeSpan.FromSeconds(20) }, start, start.AddSeconds(10), false).Decision);
    }

    [Fact]
    public void Rollback_says_why_with_the_numbers()
    {
        var verdict = CanaryJudge.Judge(Points(2, 10, 4, 5), Points(60, 50, 0, 5), Policy, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(2), false);

        Assert.Equal(CanaryDecision.Rollback, verdict.Decision);
        Assert.Contains("4 of 20 calls answered 5xx", verdict.Reason);
        Assert.Equal(20, verdict.Observed.CanaryCalls);
        Assert.Equal(0.2, verdict.Observed.ErrorRate);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(0, 100, 0)]
    [InlineData(1, 5, 0.0362)]
    [InlineData(1, 50, 0.0035)]
    [InlineData(20, 100, 0.1334)]
    [InlineData(100, 100, 0.963)]
    public void Wilson_lower_bound(long errors, long calls, double expected) =>
        Assert.Equal(expected, CanaryJudge.WilsonLowerBound(errors, calls), 3);
}
