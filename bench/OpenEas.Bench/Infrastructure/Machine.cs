namespace OpenEas.Bench.Infrastructure;

/// <summary>What the results were measured on: cores, CPU model and load.</summary>
internal static class Machine
{
    /// <summary>Cores this process may run on (what `nproc` prints).</summary>
    public static int Cores => Environment.ProcessorCount;

    public static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var i and >= 0)
                {
                    return line[(i + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return "unknown";
    }

    /// <summary>The 1-minute load average from /proc/loadavg, or null off Linux.</summary>
    public static double? LoadAverage1()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ', 2)[0];
            return double.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
