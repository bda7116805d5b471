using OpenEas.Core.Scaling;
using OpenEas.Core.Specs;

namespace OpenEas.Tests.Scaling;

public class AutoscalerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    private static AutoscalerSpec Qps(double target, int min = 1, int max = 100, double downDelay = 300) => new()
    {
        Min = min,
        Max = max,
        Targets = [new ScaleTarget("qps", target)],
        ScaleDownStabilizationSeconds = downDelay,
    };

    /// <summary>Runs the decision once a second for <paramref name="seconds"/> under a load profile; instances follow at once.</summary>
    private static List<(int Second, int Instances, ScaleDecision Decision)> Simulate(AutoscalerSpec spec, int start, Func<int, double> qps,
        int seconds, AutoscalerState? state = null)
    {
        state ??= new AutoscalerState();
        var samples = new List<LoadSample>();
        var current = start;
        var log = new List<(int, int, ScaleDecision)>();
        for (var t = 0; t < seconds; t++)
        {
            var now = T0.AddSeconds(t);
            samples.Add(new LoadSample(now, current, qps(t), 0, 0, 0));
            if (samples.Count > 600)
            {
                samples.RemoveAt(0);
            }

            var decision = Autoscaler.Decide(spec, samples, current, state, now);
            current = decision.Desired;
            log.Add((t, current, decision));
        }

        return log;
    }

    [Theory]
    [InlineData(100, 10)] // 10 instances' worth of load arrives on 1 instance
    [InlineData(100, 20)]
    [InlineData(50, 10)]
    public void A_tenfold_step_panics_and_scales_up_within_two_seconds(double target, int factor)
    {
        var spec = Qps(target);
        var log = Simulate(spec, 1, t => t < 120 ? target * 0.9 : target * 0.9 * factor, 130);

        Assert.All(log.Take(120), x => Assert.Equal(1, x.Instances));
        var reacted = log.First(x => x.Second >= 120 && x.Instances > 1);
        Assert.True(reacted.Second <= 121, $"reacted at {reacted.Second}");
        Assert.True(reacted.Decision.Panic);
        Assert.Contains("(panic)", reacted.Decision.Reason, StringComparison.Ordinal);
        Assert.Contains("qps", reacted.Decision.Reason, StringComparison.Ordinal);
        Assert.True(log[^1].Instances >= (int)Math.Ceiling(factor * 0.9), $"ended at {log[^1].Instances}");
    }

    [Theory]
    [InlineData(100, 3, 300)]  // exactly on target
    [InlineData(100, 3, 285)]  // within the tolerance band
    [InlineData(100, 3, 320)]
    [InlineData(10, 7, 66)]
    public void Steady_load_never_changes_the_count_over_ten_minutes(double target, int instances, double load)
    {
        var noisy = new Random(42);
        var log = Simulate(Qps(target), instances, _ => load * (0.97 + (noisy.NextDouble() * 0.06)), 600);
        Assert.All(log, x => Assert.Equal(instances, x.Instances));
    }

    [Theory]
    [InlineData(300, 2)]
    [InlineData(120, 2)]
    [InlineData(60, 4)]
    public void A_load_drop_scales_down_only_after_the_delay_and_at_the_limited_rate(double delay, double maxDownRate)
    {
        var spec = Qps(100, downDelay: delay) with { MaxScaleDownRate = maxDownRate };
        var log = Simulate(spec, 8, t => t < 100 ? 800 : 50, 100 + (int)delay + 400);

        Assert.All(log.Take(100), x => Assert.Equal(8, x.Instances));
        var firstDown = log.First(x => x.Instances < 8);
        Assert.True(firstDown.Second >= 100 + delay - 1, $"scaled down at {firstDown.Second}, before the {delay} s delay");
        for (var i = 1; i < log.Count; i++)
        {
            if (log[i].Instances < log[i - 1].Instances)
            {
                Assert.True(log[i].Instances >= Math.Floor(log[i - 1].Instances / maxDownRate), $"{log[i - 1].Instances} → {log[i].Instances}");
            }
        }

        Assert.Equal(1, log[^1].Instances);
    }

    [Fact]
    public void A_service_never_seen_busy_still_gets_the_whole_idle_period_before_zero()
    {
        // The autoscaler turned on (or the server started) for a service that has had no traffic since.
        var spec = Qps(100, min: 0, downDelay: 30) with { ZeroGracePeriodSeconds = 120 };
        var log = Simulate(spec, 1, _ => 0, 400);

        var zeroAt = log.First(x => x.Instances == 0);
        Assert.Equal(120, zeroAt.Second);
        Assert.Equal("no traffic for 120 s: 1 → 0", zeroAt.Decision.Reason);

        // One created at zero stays there until traffic comes.
        Assert.All(Simulate(spec, 0, _ => 0, 200), x => Assert.Equal(0, x.Instances));
    }

    [Fact]
    public void With_min_zero_the_last_instance_goes_after_the_idle_period_and_traffic_brings_it_back()
    {
        var spec = Qps(100, min: 0, downDelay: 30) with { ZeroGracePeriodSeconds = 120 };
        var state = new AutoscalerState();
        var log = Simulate(spec, 1, t => t < 10 ? 20 : 0, 400, state);

        var zeroAt = log.First(x => x.Instances == 0);
        Assert.True(zeroAt.Second >= 9 + 120, $"went to zero at {zeroAt.Second}, inside the idle period");
        Assert.Contains("no traffic", zeroAt.Decision.Reason, StringComparison.Ordinal);

        var back = Autoscaler.Decide(spec, [new LoadSample(T0.AddSeconds(400), 0, 3, 1, 0, 0)], 0, state, T0.AddSeconds(400));
        Assert.Equal(1, back.Desired);
        Assert.Contains("traffic arrived at zero", back.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 5, 0, 1)]
    [InlineData(1, 5, 10_000, 5)]
    [InlineData(2, 5, 1, 2)]
    public void The_count_stays_within_min_and_max(int min, int max, double load, int expected)
    {
        var log = Simulate(Qps(100, min, max), min, _ => load, 400);
        Assert.Equal(expected, log[^1].Instances);
    }

    [Fact]
    public void The_highest_metric_wins()
    {
        var spec = new AutoscalerSpec
        {
            Min = 1,
            Max = 50,
            Targets = [new ScaleTarget("qps", 100), new ScaleTarget("cpu", 50)],
        };
        var samples = Enumerable.Range(0, 60).Select(i => new LoadSample(T0.AddSeconds(i), 2, 150, 0, 300, 0)).ToList();
        var decision = Autoscaler.Decide(spec, samples, 2, new AutoscalerState(), T0.AddSeconds(59));
        Assert.Equal(6, decision.Desired); // cpu 300 % / 50 % = 6 beats qps 150 / 100 = 2
        Assert.StartsWith("cpu 150/inst against target 50", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_spec_shapes_of_eas_become_the_typed_autoscaler()
    {
        var modern = ServiceSpecParser.Parse("""
            {"name": "a", "containers": [{"script": "x"}],
             "autoscaler": {"min": 0, "max": 8, "scaleStrategies": [{"metricName": "QPS", "threshold": 100}, {"metricName": "cpu", "threshold": 80}],
                            "behavior": {"scaleUp": {"stabilizationWindowSeconds": 5}, "scaleDown": {"stabilizationWindowSeconds": 120},
                                         "onZero": {"scaleDownGracePeriodSeconds": 600, "scaleUpActivationReplicas": 2}}}}
            """).Spec!.Autoscaler!;
        Assert.Equal((0, 8), (modern.Min, modern.Max));
        Assert.Equal([new ScaleTarget("qps", 100), new ScaleTarget("cpu", 80)], modern.Targets);
        Assert.Equal((5.0, 120.0, 600.0, 2), (modern.ScaleUpStabilizationSeconds, modern.ScaleDownStabilizationSeconds,
            modern.ZeroGracePeriodSeconds, modern.ActivationReplicas));

        var legacy = ServiceSpecParser.Parse("""{"name": "a", "containers": [{"script": "x"}], "autoscaler": {"min": 1, "max": 4, "strategies": {"qps": 10}}}""")
            .Spec!.Autoscaler!;
        Assert.Equal([new ScaleTarget("qps", 10)], legacy.Targets);
        Assert.Equal(300, legacy.ScaleDownStabilizationSeconds);
        Assert.Null(ServiceSpecParser.Parse("""{"name": "a", "containers": [{"script": "x"}]}""").Spec!.Autoscaler);
    }

    [Theory]
    [InlineData(30, 30, 3)]
    [InlineData(120, 120, 12)]
    public void The_stable_window_can_be_set_and_the_panic_window_follows(double seconds, double stable, double panic)
    {
        var spec = ServiceSpecParser.Parse(WithWindow(seconds)).Spec!.Autoscaler!;
        Assert.Equal((stable, panic), (spec.StableWindowSeconds, spec.PanicWindowSeconds));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5000)]
    public void A_stable_window_out_of_range_names_its_path(double seconds)
    {
        var result = ServiceSpecParser.Parse(WithWindow(seconds));
        Assert.Contains(result.Errors, e => e.Path == "autoscaler.behavior.stableWindowSeconds");
    }

    [Fact]
    public void A_shorter_stable_window_scales_down_sooner()
    {
        var spec = Qps(100, downDelay: 0) with { StableWindowSeconds = 10, PanicWindowSeconds = 1 };
        var log = Simulate(spec, 4, t => t < 30 ? 400 : 0, 60);
        var down = log.First(x => x.Second >= 30 && x.Instances < 4);
        Assert.InRange(down.Second, 30, 41);
    }

    private static string WithWindow(double seconds) =>
        """{"name": "a", "containers": [{"script": "x"}], "autoscaler": {"strategies": {"qps": 10}, "behavior": {"stableWindowSeconds": SECONDS}}}"""
            .Replace("SECONDS", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
