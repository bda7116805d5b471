namespace OpenEas.Bench.Infrastructure;

/// <summary>Median, p90 and min of a handful of round times (ms).</summary>
/// <remarks>
/// A few dozen samples at most: a sorted array and nearest-rank percentiles are exact here,
/// so no histogram library is needed.
/// </remarks>
internal sealed record Stats(double Median, double P90, double Min, int Count)
{
    public static Stats Of(IReadOnlyCollection<double> values)
    {
        ArgumentOutOfRangeException.ThrowIfZero(values.Count);
        var sorted = values.Order().ToArray();
        var n = sorted.Length;
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        var p90 = sorted[Math.Clamp((int)Math.Ceiling(0.9 * n) - 1, 0, n - 1)];
        return new Stats(median, p90, sorted[0], n);
    }
}
