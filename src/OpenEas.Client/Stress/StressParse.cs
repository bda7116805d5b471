using System.Globalization;

namespace OpenEas.Client.Stress;

/// <summary>Parses the stress settings as users write them: durations (<c>30s</c>), percentages (<c>1%</c>) and ramps (<c>50:50:5s</c>).</summary>
public static class StressParse
{
    /// <summary>
    /// A duration: <c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>, <c>1.5s</c>, or a bare number of seconds.
    /// Throws <see cref="FormatException"/> naming <paramref name="what"/>.
    /// </summary>
    public static TimeSpan Duration(string text, string what = "duration")
    {
        var s = (text ?? "").Trim().ToLowerInvariant();
        var (number, unit) = s.EndsWith("ms", StringComparison.Ordinal) ? (s[..^2], 0.001)
            : s.EndsWith('s') ? (s[..^1], 1.0)
            : s.EndsWith('m') ? (s[..^1], 60.0)
            : s.EndsWith('h') ? (s[..^1], 3600.0)
            : (s, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0
            || double.IsInfinity(value * unit) || value * unit > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            throw new FormatException($"{what}: '{text}' is not a positive duration (e.g. 500ms, 30s, 2m, 1h)");
        }

        return TimeSpan.FromSeconds(value * unit);
    }

    /// <summary>A share: <c>1%</c> or <c>0.5 %</c> (percent), or a fraction <c>0.01</c>. Returns 0-1.</summary>
    public static double Fraction(string text, string what = "percentage")
    {
        var s = (text ?? "").Trim();
        var percent = s.EndsWith('%');
        if (percent)
        {
            s = s[..^1].TrimEnd();
        }

        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value < 0
            || (!percent && value > 1) || (percent && value > 100))
        {
            throw new FormatException($"{what}: '{text}' is not a percentage (e.g. 1%, 0.5%) or a fraction 0-1");
        }

        return percent ? value / 100 : value;
    }

    /// <summary><c>start:step:every</c>, e.g. <c>50:50:5s</c>: start at 50 calls/s, add 50 every 5 s.</summary>
    public static RampPlan Ramp(string text)
    {
        var parts = (text ?? "").Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length != 3
            || !double.TryParse(parts[0], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var start) || start <= 0
            || !double.TryParse(parts[1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var step) || step <= 0)
        {
            throw new FormatException($"--ramp: '{text}' is not start:step:every with positive rates (e.g. 50:50:5s)");
        }

        var every = Duration(parts[2], "--ramp every");
        if (every < TimeSpan.FromSeconds(1))
        {
            throw new FormatException($"--ramp: a step must last at least 1 s, got '{parts[2]}'");
        }

        return new RampPlan(start, step, every);
    }
}

/// <summary>A ramp: the rate starts at <see cref="Start"/> and grows by <see cref="Step"/> every <see cref="Every"/>.</summary>
public sealed record RampPlan(double Start, double Step, TimeSpan Every)
{
    /// <summary>The rate of step <paramref name="index"/> (0-based).</summary>
    public double RateOf(int index) => Start + (Step * index);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Start:0.##}:{Step:0.##}:{Every.TotalSeconds:0.##}s");
}
