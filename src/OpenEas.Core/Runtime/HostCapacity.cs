namespace OpenEas.Core.Runtime;

/// <summary>The resources of the node the embedded runtime places instances on (the <c>public</c> group).</summary>
public sealed record HostCapacity(double Cpu, long MemoryMb, int Gpu)
{
    /// <summary>Reads the real host: logical cores, MemTotal from /proc/meminfo, NVIDIA GPUs the driver lists.</summary>
    public static HostCapacity Detect()
    {
        long memoryMb = 0;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                    memoryMb = kb / 1024;
                    break;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        if (memoryMb == 0)
        {
            memoryMb = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024);
        }

        var gpus = 0;
        try
        {
            gpus = Directory.Exists("/proc/driver/nvidia/gpus") ? Directory.GetDirectories("/proc/driver/nvidia/gpus").Length : 0;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return new HostCapacity(Environment.ProcessorCount, memoryMb, gpus);
    }
}
