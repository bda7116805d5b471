using System.Globalization;

namespace OpenEas.Core.Resources;

/// <summary>An amount of cpu (cores), memory (MB) and GPUs.</summary>
public readonly record struct ResourceAmount(double Cpu, long MemoryMb, int Gpu)
{
    public static readonly ResourceAmount Zero = new(0, 0, 0);

    public static ResourceAmount operator +(ResourceAmount a, ResourceAmount b) => new(a.Cpu + b.Cpu, a.MemoryMb + b.MemoryMb, a.Gpu + b.Gpu);

    public static ResourceAmount operator -(ResourceAmount a, ResourceAmount b) => new(a.Cpu - b.Cpu, a.MemoryMb - b.MemoryMb, a.Gpu - b.Gpu);

    /// <summary>True when <paramref name="need"/> fits in this amount (a little float slack on cores).</summary>
    public bool Holds(ResourceAmount need) => need.Cpu <= Cpu + 1e-9 && need.MemoryMb <= MemoryMb && need.Gpu <= Gpu;

    public override string ToString() => Gpu > 0
        ? string.Create(CultureInfo.InvariantCulture, $"cpu {Cpu:0.##}, memory {MemoryMb} MB, gpu {Gpu}")
        : string.Create(CultureInfo.InvariantCulture, $"cpu {Cpu:0.##}, memory {MemoryMb} MB");
}

/// <summary>One group's room at the moment of placing: what it offers, what runs there, what a preemption took.</summary>
public sealed record GroupRoom(string Name, ResourceAmount Capacity, ResourceAmount Used, ResourceAmount Reclaimed, bool Spot)
{
    public ResourceAmount Free => Capacity - Reclaimed - Used;
}

/// <summary>Where an instance goes: a group (overflow when it is not the service's own), or why it waits.</summary>
public sealed record Placement(string? Group, bool Overflow, string WaitReason)
{
    public bool Placed => Group is not null;
}

/// <summary>
/// Places one instance: the first group of the service's placement order (its own group, its fallbacks, then
/// <c>public</c> when burstable) with room for it. A pure function, tested in tables.
/// </summary>
public static class ResourcePlacer
{
    public static Placement Place(ResourceAmount need, IReadOnlyList<string> order, IReadOnlyDictionary<string, GroupRoom> groups)
    {
        var tried = new List<string>();
        foreach (var name in order)
        {
            if (!groups.TryGetValue(name, out var room))
            {
                tried.Add($"{name}: no such resource group");
                continue;
            }

            if (room.Free.Holds(need))
            {
                return new Placement(name, Overflow: name != order[0], "");
            }

            var reclaimed = room.Reclaimed == ResourceAmount.Zero ? "" : $" ({room.Reclaimed} reclaimed by a preemption)";
            tried.Add($"{name} has {Describe(room.Free, room.Capacity, need.Gpu > 0)} free{reclaimed}");
        }

        return new Placement(null, false, $"needs {need}; " + string.Join("; ", tried));
    }

    private static string Describe(ResourceAmount free, ResourceAmount capacity, bool gpu) => gpu || capacity.Gpu > 0
        ? string.Create(CultureInfo.InvariantCulture,
            $"cpu {Math.Max(0, free.Cpu):0.##} of {capacity.Cpu:0.##}, memory {Math.Max(0, free.MemoryMb)} of {capacity.MemoryMb} MB, gpu {Math.Max(0, free.Gpu)} of {capacity.Gpu}")
        : string.Create(CultureInfo.InvariantCulture,
            $"cpu {Math.Max(0, free.Cpu):0.##} of {capacity.Cpu:0.##}, memory {Math.Max(0, free.MemoryMb)} of {capacity.MemoryMb} MB");
}
