using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace OpenEas.Core.Alerts;

/// <summary>
/// The condition of an alert rule: <c>metric op threshold for duration</c>, the threshold in the metric's unit
/// (ms, %, MB or a count). <see cref="ToString"/> gives the short form <see cref="TryParse"/> reads.
/// </summary>
public sealed record AlertCondition(AlertMetric Metric, AlertOp Op, double Threshold, int ForSeconds)
{
    /// <summary>The longest <c>for</c>: an hour, the length of the per-second series.</summary>
    public const int MaxForSeconds = 3600;

    /// <summary>The short form, e.g. <c>p99 &gt; 200ms for 30s</c>.</summary>
    public override string ToString() =>
        $"{AlertMetrics.Name(Metric)} {AlertMetrics.Symbol(Op)} {Number(Threshold)}{AlertMetrics.UnitSymbol(Metric)} for {Duration(ForSeconds)}";

    /// <summary>A value with its unit, for messages: <c>231 ms</c>, <c>1.5 %</c>, <c>12</c>.</summary>
    public string WithUnit(double value)
    {
        var unit = AlertMetrics.UnitSymbol(Metric);
        return unit.Length == 0 ? Number(value) : $"{Number(value)} {unit}";
    }

    internal static string Number(double value) => Math.Round(value, 3).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary><c>30s</c>, <c>5m</c>, <c>1h</c>, or <c>90s</c> when not a whole number of minutes.</summary>
    public static string Duration(int seconds) =>
        seconds >= 3600 && seconds % 3600 == 0 ? $"{seconds / 3600}h"
        : seconds >= 60 && seconds % 60 == 0 ? $"{seconds / 60}m"
        : $"{seconds}s";

    /// <summary>
    /// Parses <c>&lt;metric&gt; &lt;op&gt; &lt;threshold&gt;[unit] [for &lt;duration&gt;]</c>, e.g. <c>p99 &gt; 200ms for 30s</c>,
    /// <c>error_rate &gt; 1% for 1m</c>, <c>qps &lt; 5 for 5m</c>, <c>memory &gt;= 1.5GB</c>. Units: ms or s for latency
    /// (bare numbers are ms), % for error_rate and cpu, MB or GB for memory (bare numbers are MB), none for counts;
    /// durations in s, m or h (bare numbers are seconds). On failure <paramref name="error"/> names the part that is wrong.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out AlertCondition? condition, [NotNullWhen(false)] out string? error)
    {
        condition = null;
        var s = new Scanner(text ?? "");

        var name = s.Word();
        if (name.Length == 0)
        {
            error = s.AtEnd
                ? $"the expression is empty; write it as \"<metric> <op> <threshold> for <duration>\", e.g. \"p99 > 200ms for 30s\""
                : $"metric: expected a metric name at the start, got \"{s.Rest}\" (one of {AlertMetrics.Names})";
            return false;
        }

        if (!AlertMetrics.TryParse(name, out var metric))
        {
            error = $"metric: \"{name}\" is not a metric (one of {AlertMetrics.Names})";
            return false;
        }

        var opText = s.Operator();
        if (!AlertMetrics.TryParseOp(opText, out var op))
        {
            error = opText.Length == 0
                ? $"operator: expected >, >=, < or <= after \"{name}\", got {Got(s)}"
                : $"operator: \"{opText}\" is not an operator (use >, >=, < or <=)";
            return false;
        }

        var numberText = s.Number();
        if (!double.TryParse(numberText, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
        {
            error = $"threshold: expected a number after \"{opText}\", got {Got(s)}";
            return false;
        }

        if (number < 0)
        {
            error = $"threshold: {numberText} is negative; thresholds are 0 or more";
            return false;
        }

        // A unit may follow the number directly ("200ms") or after a space ("200 ms"), but "for" is not a unit.
        var mark = s.Position;
        var unitText = s.Unit();
        if (unitText.Equals("for", StringComparison.OrdinalIgnoreCase))
        {
            s.Position = mark;
            unitText = "";
        }

        if (!TryScale(metric, unitText, out var scale, out var allowed))
        {
            error = $"threshold: unit \"{unitText}\" does not fit {name} ({allowed})";
            return false;
        }

        var forSeconds = 0;
        if (!s.AtEnd)
        {
            var keyword = s.Word();
            if (!keyword.Equals("for", StringComparison.OrdinalIgnoreCase))
            {
                error = $"expected \"for <duration>\" after the threshold, got \"{(keyword.Length > 0 ? keyword : s.Rest)}\"";
                return false;
            }

            var durationText = s.Token();
            if (durationText.Length == 0)
            {
                error = "for: expected a duration after \"for\", e.g. 30s, 5m or 1h";
                return false;
            }

            if (ParseDuration(durationText) is not { } seconds)
            {
                error = $"for: \"{durationText}\" is not a duration (use s, m or h, e.g. 30s, 5m, 1h)";
                return false;
            }

            if (seconds is < 0 or > MaxForSeconds)
            {
                error = $"for: {durationText} is out of range (0s to 1h)";
                return false;
            }

            forSeconds = (int)seconds;
            if (!s.AtEnd)
            {
                error = $"unexpected \"{s.Rest}\" after the duration";
                return false;
            }
        }

        condition = new AlertCondition(metric, op, Math.Round(number * scale, 6), forSeconds);
        error = null;
        return true;
    }

    /// <summary>Seconds in <c>30</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>; null when malformed or not whole seconds.</summary>
    internal static double? ParseDuration(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        var multiplier = 1.0;
        if (t.EndsWith('s'))
        {
            t = t[..^1];
        }
        else if (t.EndsWith('m'))
        {
            (t, multiplier) = (t[..^1], 60);
        }
        else if (t.EndsWith('h'))
        {
            (t, multiplier) = (t[..^1], 3600);
        }

        if (!double.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        var seconds = value * multiplier;
        return seconds == Math.Floor(seconds) ? seconds : null;
    }

    private static bool TryScale(AlertMetric metric, string unit, out double scale, out string allowed)
    {
        var u = unit.ToLowerInvariant();
        (scale, allowed) = AlertMetrics.Unit(metric) switch
        {
            AlertUnit.Milliseconds => (u switch { "" or "ms" => 1, "s" => 1000, _ => 0 }, "use ms or s"),
            AlertUnit.Percent => (u is "" or "%" ? 1 : 0, "use %"),
            AlertUnit.Megabytes => (u switch { "" or "mb" or "mib" => 1, "gb" or "gib" => 1024, _ => 0 }, "use MB or GB"),
            _ => (u.Length == 0 ? 1 : 0, "it is a count: no unit"),
        };
        return scale != 0;
    }

    private static string Got(Scanner s) => s.AtEnd ? "the end" : $"\"{s.Rest}\"";

    /// <summary>A small cursor over the expression; every read skips leading spaces.</summary>
    private sealed class Scanner(string text)
    {
        public int Position { get; set; }

        public bool AtEnd
        {
            get
            {
                SkipSpaces();
                return Position >= text.Length;
            }
        }

        public string Rest
        {
            get
            {
                SkipSpaces();
                return text[Position..].TrimEnd();
            }
        }

        public string Word() => Take(c => char.IsAsciiLetterOrDigit(c) || c == '_');

        public string Operator() => Take(c => c is '>' or '<' or '=' or '!');

        public string Number() => Take(c => char.IsAsciiDigit(c) || c is '.' or '-' or '+');

        public string Unit() => Take(c => char.IsAsciiLetter(c) || c == '%');

        public string Token() => Take(c => !char.IsWhiteSpace(c));

        private string Take(Func<char, bool> accept)
        {
            SkipSpaces();
            var start = Position;
            while (Position < text.Length && accept(text[Position]))
            {
                Position++;
            }

            return text[start..Position];
        }

        private void SkipSpaces()
        {
            while (Position < text.Length && char.IsWhiteSpace(text[Position]))
            {
                Position++;
            }
        }
    }
}
