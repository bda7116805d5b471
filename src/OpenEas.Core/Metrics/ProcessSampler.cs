using System.Globalization;

namespace OpenEas.Core.Metrics;

/// <summary>
/// Reads CPU time and resident memory of whole process groups from /proc (an instance is a process group:
/// its program and whatever that program started). CPU % comes from the difference between two samples.
/// </summary>
internal sealed class ProcessSampler
{
    /// <summary>Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    private readonly Dictionary<int, (long Ticks, long Timestamp)> _last = [];
    private readonly TimeProvider _time;

    public ProcessSampler(TimeProvider time) => _time = time;

    /// <summary>CPU (% of one core since the last sample) and RSS (bytes) of each asked-for process group.</summary>
    public Dictionary<int, (double CpuPercent, long RssBytes)> Sample(IReadOnlyCollection<int> groups)
    {
        var totals = new Dictionary<int, (long Ticks, long Rss)>();
        foreach (var pgid in groups)
        {
            totals[pgid] = (0, 0);
        }

        if (groups.Count > 0)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    continue;
                }

                if (ReadStat(dir) is not { } stat || !totals.TryGetValue(stat.Pgid, out var sum))
                {
                    continue;
                }

                totals[stat.Pgid] = (sum.Ticks + stat.Ticks, sum.Rss + stat.RssPages * Environment.SystemPageSize);
            }
        }

        var now = _time.GetTimestamp();
        var result = new Dictionary<int, (double, long)>();
        foreach (var (pgid, (ticks, rss)) in totals)
        {
            double cpu = 0;
            if (_last.TryGetValue(pgid, out var previous))
            {
                var seconds = (now - previous.Timestamp) / (double)_time.TimestampFrequency;
                if (seconds > 0)
                {
                    cpu = Math.Max(0, (ticks - previous.Ticks) / TicksPerSecond / seconds * 100);
                }
            }

            _last[pgid] = (ticks, now);
            result[pgid] = (cpu, rss);
        }

        foreach (var gone in _last.Keys.Where(k => !totals.ContainsKey(k)).ToList())
        {
            _last.Remove(gone);
        }

        return result;
    }

    private static (int Pgid, long Ticks, long RssPages)? ReadStat(string dir)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(dir, "stat"));
            // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ... rss is field 24.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var pgid = int.Parse(fields[2], CultureInfo.InvariantCulture);
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var rss = long.Parse(fields[21], CultureInfo.InvariantCulture);
            return (pgid, ticks, rss);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
