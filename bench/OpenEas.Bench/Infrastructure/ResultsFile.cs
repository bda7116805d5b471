using System.Globalization;
using System.Text;

namespace OpenEas.Bench.Infrastructure;

/// <summary>bench/RESULTS.md: one "## " section per scenario, each replaced as a whole when its scenario is rerun.</summary>
internal static class ResultsFile
{
    private const string Header = """
        # OpenEAS benchmark results

        Produced by the runners in `bench/` (see [bench/README.md](README.md)); each section is rewritten by its
        scenario with `--write bench/RESULTS.md` and names the exact command, commit, date and machine.
        Every target compares OpenEAS with a baseline measured in the same run, interleaved, after a warm-up:
        read the ratio, not the absolute numbers, which drift with the machine's load.
        """;

    /// <summary>The lines every section starts with: the exact command, the commit and date, the machine and its load.</summary>
    public static void AppendRun(StringBuilder sb, string command, string root, double? loadBefore, double? loadAfter)
    {
        var ic = CultureInfo.InvariantCulture;
        sb.AppendLine(ic, $"- command: `{command}`");
        sb.AppendLine(ic, $"- commit: `{RepoPaths.GitCommit(root)}`, date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(ic, $"- machine: nproc {Machine.Cores}, {Machine.CpuModel()}; load average (1 min) {Load(loadBefore)} before, {Load(loadAfter)} after");
    }

    /// <summary>The run's note (what else ran on the machine), when one was given.</summary>
    public static void AppendNote(StringBuilder sb, string? note)
    {
        if (!string.IsNullOrWhiteSpace(note))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- note: {note}");
        }
    }

    private static string Load(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    public static void ReplaceSection(string path, string title, string section)
    {
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : [.. Header.Split('\n')];
        var start = lines.FindIndex(l => l.TrimEnd() == title);
        var body = section.Split('\n').ToList();
        if (start < 0)
        {
            while (lines.Count > 0 && string.IsNullOrWhiteSpace(lines[^1]))
            {
                lines.RemoveAt(lines.Count - 1);
            }

            lines.Add("");
            lines.AddRange(body);
        }
        else
        {
            var end = lines.FindIndex(start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
            var next = end < 0 ? lines.Count : end;
            lines.RemoveRange(start, next - start);
            if (end >= 0)
            {
                body.Add("");
            }

            lines.InsertRange(start, body);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join('\n', lines).TrimEnd('\n') + "\n");
    }

    /// <summary>Prints a scenario's report, and replaces its section of <paramref name="writePath"/> when one was given (--write).</summary>
    public static void Publish(string report, string title, string? writePath)
    {
        Console.WriteLine(report);
        if (writePath is not null)
        {
            var full = Path.GetFullPath(writePath);
            ReplaceSection(full, title, report);
            Console.Error.WriteLine($"bench: wrote {full}");
        }
    }
}
