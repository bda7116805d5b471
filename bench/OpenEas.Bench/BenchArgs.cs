using System.Globalization;

namespace OpenEas.Bench;

/// <summary>A scenario's <c>--name value</c> options, read once and checked against the names it knows.</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public BenchArgs(string[] args, params string[] known)
    {
        for (var i = 1; i < args.Length; i++)
        {
            if (!known.Contains(args[i]))
            {
                throw new ArgumentException($"unknown option '{args[i]}'");
            }

            _values[args[i]] = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        }

        Command = "dotnet run --project bench/OpenEas.Bench -c Release -- " + string.Join(' ', args.Select(Quote));
    }

    /// <summary>The command line that ran, for the results file.</summary>
    public string Command { get; }

    public string? Text(string name) => _values.GetValueOrDefault(name);

    public int Int(string name, int fallback, int min, int max) =>
        _values.TryGetValue(name, out var text) ? Parse(text, name, min, max) : fallback;

    public static int Parse(string text, string option, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{option} must be a whole number {min}-{max}, got '{text}'");

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '=') ? arg : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
