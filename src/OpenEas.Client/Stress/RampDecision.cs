namespace OpenEas.Client.Stress;

/// <summary>What one ramp step observed (answers counted by arrival within the step).</summary>
public readonly record struct StepObservation(double OfferedQps, double AchievedQps, long Ok, long Errors, double P99Ms);

/// <summary>When a ramp stops: p99 over the SLO, errors over a share, or throughput under a share of the offered rate.</summary>
public sealed record RampLimits(TimeSpan Slo, double MaxErrorRate, double MinThroughputShare = 0.9);

/// <summary>The verdict on one step.</summary>
public enum RampVerdict
{
    Pass,
    TooManyErrors,
    P99OverSlo,
    ThroughputFlat,
}

/// <summary>What the ramp does after a step.</summary>
public enum RampNext
{
    /// <summary>The step passed: raise the rate.</summary>
    Raise,

    /// <summary>The step failed for the first time: run the same rate once more before calling it the limit.</summary>
    Confirm,

    /// <summary>The step failed again at the same rate: the limit is found.</summary>
    Stop,

    /// <summary>
    /// The step failed while the generator itself ran late (a pause of the calling process sent its calls in a burst):
    /// it says nothing about the service, so the same rate runs again.
    /// </summary>
    Repeat,
}

/// <summary>The ramp's stop decision: a pure function of what a step observed and the limits.</summary>
public static class RampDecision
{
    public static RampVerdict Decide(StepObservation step, RampLimits limits)
    {
        var answered = step.Ok + step.Errors;
        if (answered == 0)
        {
            return RampVerdict.ThroughputFlat;
        }

        if ((double)step.Errors / answered > limits.MaxErrorRate)
        {
            return RampVerdict.TooManyErrors;
        }

        if (step.P99Ms > limits.Slo.TotalMilliseconds)
        {
            return RampVerdict.P99OverSlo;
        }

        return step.AchievedQps < limits.MinThroughputShare * step.OfferedQps ? RampVerdict.ThroughputFlat : RampVerdict.Pass;
    }

    /// <summary>
    /// What follows a step. A failure is confirmed by running the same rate once more: a single hiccup of the machine
    /// (a pause of the caller, a page fault storm) makes one step fail below the real limit, while at the limit the repeat
    /// fails too (the backlog the first run left is still there).
    /// </summary>
    public static RampNext Next(RampVerdict verdict, bool confirming, bool generatorLate = false) =>
        verdict == RampVerdict.Pass ? RampNext.Raise
        : generatorLate ? RampNext.Repeat
        : confirming ? RampNext.Stop
        : RampNext.Confirm;

    /// <summary>How late a call may leave before the generator counts as having fallen behind in a step.</summary>
    public static readonly TimeSpan GeneratorLateLimit = TimeSpan.FromMilliseconds(250);

    /// <summary>The verdict in words, for the report.</summary>
    public static string Describe(RampVerdict verdict, StepObservation step, RampLimits limits)
    {
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        var answered = Math.Max(1, step.Ok + step.Errors);
        return verdict switch
        {
            RampVerdict.Pass => "pass",
            RampVerdict.TooManyErrors => string.Create(ic,
                $"errors {100.0 * step.Errors / answered:0.##}% > {limits.MaxErrorRate * 100:0.##}%"),
            RampVerdict.P99OverSlo => string.Create(ic, $"p99 {step.P99Ms:0.#} ms > SLO {limits.Slo.TotalMilliseconds:0} ms"),
            _ => string.Create(ic,
                $"throughput {step.AchievedQps:0.#}/s < {limits.MinThroughputShare * 100:0}% of offered {step.OfferedQps:0.#}/s"),
        };
    }
}
