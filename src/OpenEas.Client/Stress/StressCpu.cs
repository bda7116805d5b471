using OpenEas.Contracts;

namespace OpenEas.Client.Stress;

/// <summary>Puts the service's per-second instance CPU (from the metrics series) beside each second of a stress report.</summary>
public static class StressCpu
{
    public static void Merge(StressReport report, IReadOnlyList<MetricPoint> points)
    {
        if (points.Count == 0)
        {
            return;
        }

        var bySecond = new Dictionary<long, double>();
        foreach (var p in points)
        {
            bySecond[p.Time.ToUnixTimeSeconds()] = p.CpuPercent;
        }

        foreach (var second in report.Seconds)
        {
            if (bySecond.TryGetValue(second.Time.ToUnixTimeSeconds(), out var cpu))
            {
                second.CpuPercent = cpu;
            }
        }
    }
}
