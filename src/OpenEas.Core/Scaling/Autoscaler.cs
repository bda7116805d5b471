using System.Globalization;
using OpenEas.Core.Specs;

namespace OpenEas.Core.Scaling;

/// <summary>One second of a service's load, as the autoscaler reads it from the metrics hub (totals over instances).</summary>
public readonly record struct LoadSample(DateTimeOffset Time, int Ready, double Qps, double Concurrency, double CpuPercent, double Backlog)
{
    public bool HasTraffic => Qps > 0 || Concurrency > 0 || Backlog > 0;

    public double Value(string metric) => metric switch
    {
        "qps" => Qps,
        "concurrency" => Concurrency,
        "cpu" => CpuPercent,
        "backlog" => Backlog,
        _ => 0,
    };
}

/// <summary>What the autoscaler remembers between decisions about one service.</summary>
public sealed class AutoscalerState
{
    /// <summary>Panic mode lasts at least until then (no scale-down while panicking).</summary>
    public DateTimeOffset? PanicUntil { get; set; }

    /// <summary>Recent recommendations, for the scale-up/down stabilization windows.</summary>
    public List<(DateTimeOffset Time, int Desired)> Recommendations { get; } = [];

    /// <summary>The firing of a cron job last applied (without an autoscaler a job sets the count once).</summary>
    public DateTimeOffset? CronApplied { get; set; }

    /// <summary>Whether the schedule has been looked at once (its past firings are not replayed).</summary>
    public bool CronSeen { get; set; }

    /// <summary>The last second that had any traffic (scale to zero waits out the grace period after it).</summary>
    public DateTimeOffset? LastTraffic { get; set; }

    /// <summary>
    /// When the autoscaler first decided for the service (it was turned on, or the server started). A service it never saw
    /// traffic for is idle since then, not forever: it gets the whole grace period before going to zero.
    /// </summary>
    public DateTimeOffset? ObservedSince { get; set; }
}

/// <summary>A decision: the instance count to run and why.</summary>
public sealed record ScaleDecision(int Desired, string Reason, bool Panic);

/// <summary>
/// The autoscaler's decision, as a pure function of (config, recent per-second load, current count, memory, now),
/// after Knative's KPA: a 60 s stable window and a 6 s panic window (entered when the burst asks for twice the
/// instances; no scale-down while in it), desired = ceil(load / target) as the max over metrics, a tolerance
/// band so steady load never flaps, rate limits, HPA-style stabilization windows, and scale to and from zero.
/// </summary>
public static class Autoscaler
{
    public static ScaleDecision Decide(AutoscalerSpec spec, IReadOnlyList<LoadSample> samples, int current, AutoscalerState state, DateTimeOffset now)
    {
        state.ObservedSince ??= now;
        if (samples.Count > 0 && samples[^1].HasTraffic)
        {
            state.LastTraffic = samples[^1].Time;
        }
        else
        {
            for (var i = samples.Count - 1; i >= 0; i--)
            {
                if (samples[i].HasTraffic)
                {
                    state.LastTraffic = state.LastTraffic is { } last && last > samples[i].Time ? last : samples[i].Time;
                    break;
                }
            }
        }

        if (spec.Targets.Count == 0 || samples.Count == 0)
        {
            var kept = Math.Clamp(current, spec.Min, spec.Max);
            return new ScaleDecision(kept, kept == current ? "" : $"kept within min {spec.Min}, max {spec.Max}: {current} → {kept}", false);
        }

        var (stable, stableWhy) = Recommend(spec, samples, current, now, spec.StableWindowSeconds);
        var (burst, burstWhy) = Recommend(spec, samples, current, now, spec.PanicWindowSeconds);

        // Panic: a burst that needs twice the instances we have.
        if (current > 0 && burst >= current * spec.PanicThreshold)
        {
            state.PanicUntil = now + TimeSpan.FromSeconds(spec.StableWindowSeconds);
        }

        var panicking = state.PanicUntil is { } until && now < until;
        int desired;
        string why;
        if (panicking)
        {
            desired = Math.Max(current, burst);
            why = burstWhy + $" over the last {spec.PanicWindowSeconds:0} s (panic)";
        }
        else
        {
            desired = stable;
            why = stableWhy + $" over the last {spec.StableWindowSeconds:0} s";
            state.PanicUntil = null;
        }

        // Stabilization (on the raw recommendations, as HPA does): scale down to the highest of the window, up to the lowest.
        state.Recommendations.Add((now, desired));
        var keep = TimeSpan.FromSeconds(Math.Max(spec.ScaleDownStabilizationSeconds, spec.ScaleUpStabilizationSeconds));
        state.Recommendations.RemoveAll(r => r.Time < now - keep);
        if (desired < current && !panicking)
        {
            var highest = state.Recommendations.Where(r => r.Time >= now - TimeSpan.FromSeconds(spec.ScaleDownStabilizationSeconds)).Max(r => r.Desired);
            if (highest > desired)
            {
                desired = Math.Min(current, highest);
                why += $"; scale-down waits for load to stay low {spec.ScaleDownStabilizationSeconds:0} s";
            }
        }
        else if (desired > current && spec.ScaleUpStabilizationSeconds > 0)
        {
            var lowest = state.Recommendations.Where(r => r.Time >= now - TimeSpan.FromSeconds(spec.ScaleUpStabilizationSeconds)).Min(r => r.Desired);
            desired = Math.Max(current, lowest);
        }

        // Rate limits.
        if (current > 0)
        {
            desired = Math.Min(desired, (int)Math.Ceiling(current * spec.MaxScaleUpRate));
            desired = Math.Max(desired, (int)Math.Floor(current / spec.MaxScaleDownRate));
        }

        // To and from zero.
        if (desired == 0 && spec.Min == 0)
        {
            var idleFor = now - (state.LastTraffic ?? state.ObservedSince.Value);
            if (idleFor < TimeSpan.FromSeconds(spec.ZeroGracePeriodSeconds))
            {
                // Within the grace one instance stays (or comes back for traffic just seen); a service never seen busy
                // keeps what it has: one created at zero is not started for nothing.
                desired = state.LastTraffic is null ? Math.Min(current, 1) : 1;
            }
            else
            {
                why = $"no traffic for {spec.ZeroGracePeriodSeconds:0} s";
            }
        }

        if (current == 0 && samples[^1].HasTraffic)
        {
            desired = Math.Max(desired, spec.ActivationReplicas);
            why = "traffic arrived at zero instances";
        }

        desired = Math.Clamp(desired, spec.Min, spec.Max);
        return new ScaleDecision(desired, desired == current ? "" : $"{why}: {current} → {desired}", panicking);
    }

    /// <summary>ceil(average load / target), the highest over metrics; within the tolerance band of the current count, the current count.</summary>
    private static (int Desired, string Why) Recommend(AutoscalerSpec spec, IReadOnlyList<LoadSample> samples, int current, DateTimeOffset now,
        double windowSeconds)
    {
        var from = now - TimeSpan.FromSeconds(windowSeconds);
        var best = -1;
        var why = "";
        foreach (var target in spec.Targets)
        {
            double sum = 0;
            var n = 0;
            foreach (var s in samples)
            {
                if (s.Time > from && s.Time <= now)
                {
                    sum += s.Value(target.Metric);
                    n++;
                }
            }

            if (n == 0)
            {
                continue;
            }

            var load = sum / n;
            var desired = (int)Math.Ceiling(load / target.Target - 1e-9);
            if (current > 0 && Math.Abs(load / (target.Target * current) - 1) <= spec.Tolerance)
            {
                desired = current;
            }

            if (desired > best)
            {
                best = desired;
                var perInstance = current > 0 ? load / current : load;
                why = string.Create(CultureInfo.InvariantCulture, $"{target.Metric} {perInstance:0.#}/inst against target {target.Target:0.#}");
            }
        }

        return best < 0 ? (current, "no load data") : (best, why);
    }
}
