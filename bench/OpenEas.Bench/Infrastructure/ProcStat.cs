using System.Globalization;

namespace OpenEas.Bench.Infrastructure;

/// <summary>CPU time of processes from /proc/&lt;pid&gt;/stat (user + system, in clock ticks of 10 ms).</summary>
internal static class ProcStat
{
    /// <summary>USER_HZ; 100 on every Linux this runs on.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>CPU seconds used so far by <paramref name="pid"/>, plus its live descendants' when asked (nginx's workers).</summary>
    public static double CpuSeconds(int pid, bool withDescendants)
    {
        var ticks = Ticks(pid, out _);
        if (withDescendants)
        {
            var parents = new HashSet<int> { pid };
            var all = new List<(int Pid, int Ppid, long Ticks)>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p != pid)
                {
                    var t = Ticks(p, out var ppid);
                    all.Add((p, ppid, t));
                }
            }

            // Descendants of any depth: grow the set until it stops changing.
            bool grew;
            do
            {
                grew = false;
                foreach (var (p, ppid, t) in all)
                {
                    if (parents.Contains(ppid) && parents.Add(p))
                    {
                        ticks += t;
                        grew = true;
                    }
                }
            }
            while (grew);
        }

        return ticks / TicksPerSecond;
    }

    private static long Ticks(int pid, out int ppid)
    {
        ppid = 0;
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces and parentheses: the fields after it start past the last ')'.
            var rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            ppid = int.Parse(rest[1], CultureInfo.InvariantCulture);
            return long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>CPU seconds the whole machine has spent busy (all cores; /proc/stat's first line minus idle and iowait).</summary>
    public static double MachineBusySeconds()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long busy = 0;
            for (var i = 1; i < fields.Length && i <= 8; i++)
            {
                if (i is not 4 and not 5)
                {
                    busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
                }
            }

            return busy / TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }
}
