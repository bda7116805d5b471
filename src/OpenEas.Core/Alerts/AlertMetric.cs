using OpenEas.Contracts;

namespace OpenEas.Core.Alerts;

/// <summary>What an alert rule watches: one reading of a service's per-second series.</summary>
public enum AlertMetric
{
    Qps,
    P50,
    P90,
    P99,
    Max,
    Mean,
    ErrorRate,
    Errors,
    InFlight,
    Waiting,
    Instances,
    Cpu,
    Memory,
}

/// <summary>How a rule compares the metric with its threshold.</summary>
public enum AlertOp
{
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// <summary>The kind of unit a metric is measured in; decides which units a threshold may carry.</summary>
public enum AlertUnit
{
    /// <summary>A count (calls per second, calls in flight, instances): no unit.</summary>
    Count,

    /// <summary>Milliseconds (<c>ms</c>, or <c>s</c> ×1000).</summary>
    Milliseconds,

    /// <summary>Percent (<c>%</c>).</summary>
    Percent,

    /// <summary>Megabytes (<c>MB</c>, or <c>GB</c> ×1024).</summary>
    Megabytes,
}

/// <summary>Names, units and readings of the alert metrics.</summary>
public static class AlertMetrics
{
    private static readonly (AlertMetric Metric, string Name, AlertUnit Unit)[] Table =
    [
        (AlertMetric.Qps, "qps", AlertUnit.Count),
        (AlertMetric.P50, "p50", AlertUnit.Milliseconds),
        (AlertMetric.P90, "p90", AlertUnit.Milliseconds),
        (AlertMetric.P99, "p99", AlertUnit.Milliseconds),
        (AlertMetric.Max, "max", AlertUnit.Milliseconds),
        (AlertMetric.Mean, "mean", AlertUnit.Milliseconds),
        (AlertMetric.ErrorRate, "error_rate", AlertUnit.Percent),
        (AlertMetric.Errors, "errors", AlertUnit.Count),
        (AlertMetric.InFlight, "inflight", AlertUnit.Count),
        (AlertMetric.Waiting, "waiting", AlertUnit.Count),
        (AlertMetric.Instances, "instances", AlertUnit.Count),
        (AlertMetric.Cpu, "cpu", AlertUnit.Percent),
        (AlertMetric.Memory, "memory", AlertUnit.Megabytes),
    ];

    /// <summary>The metric names, comma-separated, for error messages.</summary>
    public static string Names { get; } = string.Join(", ", Table.Select(t => t.Name));

    public static string Name(AlertMetric metric) => Table[(int)metric].Name;

    public static AlertUnit Unit(AlertMetric metric) => Table[(int)metric].Unit;

    /// <summary>The unit as shown after a number: <c>ms</c>, <c>%</c>, <c>MB</c>, or empty.</summary>
    public static string UnitSymbol(AlertMetric metric) => Unit(metric) switch
    {
        AlertUnit.Milliseconds => "ms",
        AlertUnit.Percent => "%",
        AlertUnit.Megabytes => "MB",
        _ => "",
    };

    public static bool TryParse(string name, out AlertMetric metric)
    {
        foreach (var (m, n, _) in Table)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                metric = m;
                return true;
            }
        }

        metric = default;
        return false;
    }

    public static string Symbol(AlertOp op) => op switch
    {
        AlertOp.Greater => ">",
        AlertOp.GreaterOrEqual => ">=",
        AlertOp.Less => "<",
        _ => "<=",
    };

    public static bool TryParseOp(string text, out AlertOp op)
    {
        (var ok, op) = text switch
        {
            ">" => (true, AlertOp.Greater),
            ">=" => (true, AlertOp.GreaterOrEqual),
            "<" => (true, AlertOp.Less),
            "<=" => (true, AlertOp.LessOrEqual),
            _ => (false, default(AlertOp)),
        };
        return ok;
    }

    public static bool Holds(AlertOp op, double value, double threshold) => op switch
    {
        AlertOp.Greater => value > threshold,
        AlertOp.GreaterOrEqual => value >= threshold,
        AlertOp.Less => value < threshold,
        _ => value <= threshold,
    };

    /// <summary>
    /// The metric's value in a closed second, in its unit; null means no data: no point, or (for latency and
    /// error rate) a second without calls, where a percentile or a ratio means nothing.
    /// </summary>
    public static double? Read(AlertMetric metric, MetricPoint? point)
    {
        if (point is null)
        {
            return null;
        }

        var calls = point.Requests > 0;
        return metric switch
        {
            AlertMetric.Qps => point.Qps,
            AlertMetric.P50 => calls ? point.P50Ms : null,
            AlertMetric.P90 => calls ? point.P90Ms : null,
            AlertMetric.P99 => calls ? point.P99Ms : null,
            AlertMetric.Max => calls ? point.MaxMs : null,
            AlertMetric.Mean => calls ? point.MeanMs : null,
            // Gateway rejections with a 5xx code (502, 503) are in both counts; capped so the rate stays a percentage.
            AlertMetric.ErrorRate => calls ? Math.Min(100, Math.Round(100.0 * (point.Status5xx + point.Rejected) / point.Requests, 3)) : null,
            AlertMetric.Errors => point.Status5xx,
            AlertMetric.InFlight => point.InFlight,
            AlertMetric.Waiting => point.Waiting,
            AlertMetric.Instances => point.Instances,
            AlertMetric.Cpu => point.CpuPercent,
            _ => Math.Round(point.MemoryBytes / 1048576.0, 1),
        };
    }
}
