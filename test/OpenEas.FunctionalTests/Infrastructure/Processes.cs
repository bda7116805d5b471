namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>What runs on this machine, read from /proc.</summary>
internal static class Processes
{
    public static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Live processes started as instances for the given data dir.</summary>
    public static List<int> OfDataDir(string dataDir)
    {
        var marker = "EAS_DATA_DIR=" + Path.GetFullPath(dataDir);
        var list = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllText(Path.Combine(entry, "environ"));
                if (environ.Split('\0').Contains(marker) && Alive(pid))
                {
                    list.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return list;
    }
}
