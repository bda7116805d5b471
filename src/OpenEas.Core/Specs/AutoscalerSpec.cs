namespace OpenEas.Core.Specs;

/// <summary>One scaling metric and its target per instance (qps, concurrency, cpu %, backlog).</summary>
public sealed record ScaleTarget(string Metric, double Target);

/// <summary>
/// <c>autoscaler</c>: EAS's shape (<c>min</c>, <c>max</c>, <c>scaleStrategies[{metricName, threshold}]</c> or the older
/// <c>strategies: {qps: 10}</c>, <c>behavior.scaleUp/scaleDown.stabilizationWindowSeconds</c>,
/// <c>behavior.onZero.{scaleDownGracePeriodSeconds, scaleUpActivationReplicas}</c>) with Knative-style windows.
/// </summary>
public sealed record AutoscalerSpec
{
    /// <summary>The metrics the autoscaler knows.</summary>
    public static readonly IReadOnlyList<string> Metrics = ["qps", "concurrency", "cpu", "backlog"];

    public int Min { get; init; } = 1;
    public int Max { get; init; } = 10;
    public IReadOnlyList<ScaleTarget> Targets { get; init; } = [];

    /// <summary>The window load is averaged over for ordinary decisions.</summary>
    public double StableWindowSeconds { get; init; } = 60;

    /// <summary>The short window that detects a burst.</summary>
    public double PanicWindowSeconds { get; init; } = 6;

    /// <summary>Panic when the short window asks for this many times the current instances.</summary>
    public double PanicThreshold { get; init; } = 2.0;

    public double ScaleUpStabilizationSeconds { get; init; }

    /// <summary>Scale-down waits until load has stayed low this long (EAS/HPA default 300 s).</summary>
    public double ScaleDownStabilizationSeconds { get; init; } = 300;

    /// <summary>At most this many times the current count in one step up.</summary>
    public double MaxScaleUpRate { get; init; } = 10;

    /// <summary>At most down to current / this in one step.</summary>
    public double MaxScaleDownRate { get; init; } = 2;

    /// <summary>Load within ±10 % of the target keeps the count (no flapping on steady load).</summary>
    public double Tolerance { get; init; } = 0.1;

    /// <summary>With <see cref="Min"/> 0: the idle time before the last instance goes.</summary>
    public double ZeroGracePeriodSeconds { get; init; } = 600;

    /// <summary>Instances started when load arrives at zero.</summary>
    public int ActivationReplicas { get; init; } = 1;
}
