using System.Text.Json.Serialization;

namespace OpenEas.Contracts;

/// <summary>The body of <c>POST /api/v2/resources</c> (and <c>PUT /api/v2/resources/&lt;name&gt;</c> to change capacity).</summary>
public sealed class ResourceGroupRequest
{
    public string Name { get; set; } = "";

    /// <summary>Cores the group offers.</summary>
    public double Cpu { get; set; }

    /// <summary>Memory the group offers, MB.</summary>
    public long Memory { get; set; }

    /// <summary>GPUs the group offers.</summary>
    public int Gpu { get; set; }

    /// <summary>Spot (preemptible) capacity: cheap, but a preemption notice may take it away.</summary>
    public bool Spot { get; set; }
}

/// <summary>A resource group: <c>public</c> (this host) or a dedicated group with declared capacity.</summary>
public sealed class ResourceGroupInfo
{
    public required string ResourceName { get; init; }

    /// <summary><c>Public</c> or <c>Dedicated</c>.</summary>
    public required string ResourceType { get; init; }
    public bool Spot { get; init; }
    public double Cpu { get; init; }
    public long Memory { get; init; }
    public int Gpu { get; init; }
    public double UsedCpu { get; init; }
    public long UsedMemory { get; init; }
    public int UsedGpu { get; init; }

    /// <summary>Capacity a preemption took away and that has not come back yet.</summary>
    public double ReclaimedCpu { get; init; }
    public long ReclaimedMemory { get; init; }
    public int ReclaimedGpu { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? ReclaimedUntil { get; init; }
    public int InstanceCount { get; init; }

    /// <summary>Services whose spec names this group (as <c>metadata.resource</c> or a fallback).</summary>
    public List<string> Services { get; init; } = [];
    public DateTimeOffset CreateTime { get; init; }

    /// <summary>The group's instances (in <c>desc</c> and <c>li</c>; empty in <c>ls</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<InstanceInfo>? Instances { get; init; }
}

/// <summary>
/// The body of <c>POST /api/v2/resources/&lt;group&gt;/preempt</c>: the cloud's notice that spot capacity goes away.
/// Without <see cref="Instances"/> or <see cref="Count"/> every instance of the group is preempted and the whole
/// capacity is reclaimed.
/// </summary>
public sealed class PreemptRequest
{
    /// <summary>Seconds between the notice and the moment the doomed instances die (default 60).</summary>
    public double NoticeSeconds { get; set; } = 60;

    /// <summary>Seconds, from the notice, before the reclaimed capacity can be used again (default 600).</summary>
    public double ReclaimSeconds { get; set; } = 600;

    /// <summary>The instances preempted (default: all of the group's, or <see cref="Count"/> of them).</summary>
    public List<string>? Instances { get; set; }

    /// <summary>How many instances are preempted (the newest first), when <see cref="Instances"/> is not given.</summary>
    public int? Count { get; set; }
}

/// <summary>What a preemption notice did.</summary>
public sealed class PreemptResult
{
    public required string ResourceName { get; init; }
    public List<string> Instances { get; init; } = [];
    public DateTimeOffset Deadline { get; init; }
    public DateTimeOffset ReclaimedUntil { get; init; }
    public double ReclaimedCpu { get; init; }
    public long ReclaimedMemory { get; init; }
    public int ReclaimedGpu { get; init; }
}
