using OpenEas.Contracts;

namespace OpenEas.Core.Release;

/// <summary>How a canary step is judged.</summary>
/// <param name="MaxErrorRate">Highest 5xx rate (0.01 = 1 %) of the canary, or the baseline's own rate when that is higher.</param>
/// <param name="MaxP99Ratio">Highest canary p99 over baseline p99.</param>
/// <param name="MinCalls">Canary calls a step needs before it may advance (a step never advances on no evidence).</param>
/// <param name="Pause">How long each step lasts at least.</param>
/// <param name="MinP99DeltaMs">A p99 ratio counts only when the canary is also this many ms slower: on fast services a millisecond of noise is no regression.</param>
public sealed record CanaryPolicy(double MaxErrorRate, double MaxP99Ratio, int MinCalls, TimeSpan Pause, double MinP99DeltaMs = 10)
{
    /// <summary>Calls each side needs before the p99 ratio is judged at all.</summary>
    public const int MinCallsForLatency = 50;

    /// <summary>Seconds of canary traffic a step needs before its p99 is judged: a median of two or three per-second p99s is noise.</summary>
    public const int MinSecondsForLatency = 10;
}

public enum CanaryDecision
{
    /// <summary>Stay at this step (too early, too few calls, or held by hand).</summary>
    Hold,
    /// <summary>The step passed: go to the next one (or promote after the last).</summary>
    Advance,
    /// <summary>A limit was breached: traffic goes back to the baseline at once.</summary>
    Rollback,
}

/// <summary>A judgement: what to do, why, and what was seen.</summary>
public sealed record CanaryVerdict(CanaryDecision Decision, string Reason, CanaryObservation Observed);

/// <summary>
/// Judges one canary step on the metrics hub's per-second points of the canary (since the step began) and the baseline
/// (the same time, plus a look back so a baseline that gets no traffic at 100 % still has a reference). A pure function:
/// <list type="bullet">
/// <item>Errors: the Wilson score 95 % lower bound of the canary's 5xx rate must stay at or under the limit, so one
/// unlucky call out of five does not roll back a good version, while 20 % errors are caught within a few calls.</item>
/// <item>Latency: the median of the canary's per-second p99s over the baseline's, judged when the step's pause is over
/// (on the whole step, with enough calls on both sides): a new instance's cold first second is no regression, a version
/// that stays slow is.</item>
/// </list>
/// An error breach rolls back at once, even while the release is paused; a step advances only after its pause and with
/// enough calls.
/// </summary>
public static class CanaryJudge
{
    private const double Z = 1.96;

    public static CanaryVerdict Judge(IReadOnlyList<MetricPoint> canary, IReadOnlyList<MetricPoint> baseline, CanaryPolicy policy,
        DateTimeOffset stepStarted, DateTimeOffset now, bool paused)
    {
        var (cCalls, cErrors, cP99, cSeconds) = Summarize(canary);
        var (bCalls, bErrors, bP99, _) = Summarize(baseline);
        var rate = cCalls == 0 ? 0 : (double)cErrors / cCalls;
        var lower = WilsonLowerBound(cErrors, cCalls);
        var baselineRate = bCalls == 0 ? 0 : (double)bErrors / bCalls;
        var observed = new CanaryObservation
        {
            CanaryCalls = cCalls,
            CanaryErrors = cErrors,
            ErrorRate = Math.Round(rate, 5),
            ErrorRateLowerBound = Math.Round(lower, 5),
            BaselineCalls = bCalls,
            BaselineErrorRate = Math.Round(baselineRate, 5),
            CanaryP99Ms = Math.Round(cP99, 2),
            BaselineP99Ms = Math.Round(bP99, 2),
        };

        var limit = Math.Max(policy.MaxErrorRate, baselineRate);
        if (cErrors > 0 && lower > limit)
        {
            return new(CanaryDecision.Rollback,
                $"error rate {rate:P1} ({cErrors} of {cCalls} calls answered 5xx; at least {lower:P1} with 95 % confidence) is over the limit {limit:P1}"
                + (baselineRate > policy.MaxErrorRate ? " (the baseline's own rate)" : ""), observed);
        }

        var elapsed = now - stepStarted;
        if (elapsed >= policy.Pause && cSeconds >= CanaryPolicy.MinSecondsForLatency && cCalls >= CanaryPolicy.MinCallsForLatency && bCalls >= CanaryPolicy.MinCallsForLatency && bP99 > 0
            && cP99 > bP99 * policy.MaxP99Ratio && cP99 - bP99 >= policy.MinP99DeltaMs)
        {
            return new(CanaryDecision.Rollback,
                $"p99 latency {cP99:0.#} ms is {cP99 / bP99:0.##}× the baseline's {bP99:0.#} ms (limit {policy.MaxP99Ratio:0.##}×)", observed);
        }

        if (paused)
        {
            return new(CanaryDecision.Hold, "paused by hand", observed);
        }

        if (elapsed < policy.Pause)
        {
            return new(CanaryDecision.Hold, $"{elapsed.TotalSeconds:0} s of {policy.Pause.TotalSeconds:0} s", observed);
        }

        if (cCalls < policy.MinCalls)
        {
            return new(CanaryDecision.Hold, $"waiting for calls: {cCalls} of {policy.MinCalls}", observed);
        }

        return new(CanaryDecision.Advance, $"healthy: {cCalls} calls, error rate {rate:P1}, p99 {cP99:0.#} ms (baseline {bP99:0.#} ms)", observed);
    }

    /// <summary>The lower end of the Wilson score interval (95 %) of a proportion.</summary>
    public static double WilsonLowerBound(long successes, long trials)
    {
        if (trials <= 0)
        {
            return 0;
        }

        var n = (double)trials;
        var p = successes / n;
        var z2 = Z * Z;
        var center = p + z2 / (2 * n);
        var margin = Z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return Math.Max(0, (center - margin) / (1 + z2 / n));
    }

    /// <summary>Calls, 5xx and the median of the per-second p99s (over the seconds that had calls).</summary>
    private static (long Calls, long Errors, double P99, int Seconds) Summarize(IReadOnlyList<MetricPoint> points)
    {
        long calls = 0, errors = 0;
        var p99s = new List<double>();
        foreach (var p in points)
        {
            calls += p.Requests;
            errors += p.Status5xx;
            if (p.Requests > 0)
            {
                p99s.Add(p.P99Ms);
            }
        }

        p99s.Sort();
        var median = p99s.Count == 0 ? 0 : p99s.Count % 2 == 1 ? p99s[p99s.Count / 2] : (p99s[p99s.Count / 2 - 1] + p99s[p99s.Count / 2]) / 2;
        return (calls, errors, median, p99s.Count);
    }
}
