namespace OpenEas.Cli.Output;

/// <summary>Draws a row of values as Unicode block characters (▁▂▃▄▅▆▇█), scaled to the largest.</summary>
internal static class Sparkline
{
    private const string Blocks = "▁▂▃▄▅▆▇█";

    /// <summary>One character per value; zero, negative and NaN draw the lowest block, the largest value the highest.</summary>
    public static string Render(IReadOnlyList<double> values)
    {
        var max = 0d;
        foreach (var v in values)
        {
            if (v > max)
            {
                max = v;
            }
        }

        var chars = new char[values.Count];
        for (var i = 0; i < chars.Length; i++)
        {
            var v = values[i];
            chars[i] = max <= 0 || !(v > 0)
                ? Blocks[0]
                : Blocks[Math.Clamp((int)Math.Ceiling(v / max * (Blocks.Length - 1)), 1, Blocks.Length - 1)];
        }

        return new string(chars);
    }

    /// <summary>
    /// The last <paramref name="seconds"/> seconds up to and including <paramref name="end"/>, one value per second
    /// from the points that fall in them (a second without a point is 0), oldest first.
    /// </summary>
    public static double[] Window(IEnumerable<Contracts.MetricPoint> points, DateTimeOffset end, int seconds, Func<Contracts.MetricPoint, double> value)
    {
        var window = new double[seconds];
        var last = end.ToUnixTimeSeconds();
        foreach (var p in points)
        {
            var index = seconds - 1 - (last - p.Time.ToUnixTimeSeconds());
            if (index >= 0 && index < seconds)
            {
                window[index] = value(p);
            }
        }

        return window;
    }
}
