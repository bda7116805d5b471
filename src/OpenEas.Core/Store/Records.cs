namespace OpenEas.Core.Store;

/// <summary>A service's desired state and its last computed status, as stored.</summary>
public sealed record ServiceRecord
{
    public required string Name { get; init; }
    public int CurrentVersion { get; init; }
    public int LatestVersion { get; init; }
    /// <summary>How many instances the user asked for (kept while stopped, so start restores it).</summary>
    public int DesiredInstances { get; init; }
    public bool Stopped { get; init; }
    public string Status { get; init; } = "Creating";
    public string Reason { get; init; } = "";
    public string Message { get; init; } = "";
    public required string Token { get; init; }
    /// <summary>The token the last rotation replaced (null when none); accepted until <see cref="PreviousTokenExpires"/>.</summary>
    public string? PreviousToken { get; init; }

    /// <summary>The autoscaler set through the API (JSON), over the spec's own; "off" turns the spec's off; null = the spec's.</summary>
    public string? Autoscaler { get; init; }

    /// <summary>The scheduled scaling set through the API (EAS's cronscale JSON); null = the spec's <c>cronscaler</c>, "off" = none.</summary>
    public string? CronScaler { get; init; }
    public DateTimeOffset? PreviousTokenExpires { get; init; }
    public DateTimeOffset CreateTime { get; init; }
    public DateTimeOffset UpdateTime { get; init; }
    /// <summary>When the service last stopped serving (null while it runs); the janitor reads it.</summary>
    public DateTimeOffset? IdleSince { get; init; }
    /// <summary>When the janitor warned that it will delete the service (null if not warned).</summary>
    public DateTimeOffset? JanitorWarnedAt { get; init; }

    /// <summary>The instance count the reconciler should converge to now.</summary>
    public int EffectiveReplicas => Stopped ? 0 : DesiredInstances;
}

/// <summary>One immutable version of a service spec.</summary>
public sealed record VersionRecord(string Service, int Version, string SpecJson, DateTimeOffset CreateTime);

/// <summary>One event of a service's log.</summary>
public sealed record EventRecord(long Id, string Service, DateTimeOffset Time, string Type, string Reason, string Message, string? Instance);

/// <summary>An instance as last seen by the reconciler; lets a restarted server find what it left running.</summary>
public sealed record InstanceRecord
{
    public required string Id { get; init; }
    public required string Service { get; init; }
    public int Version { get; init; }
    public required string State { get; init; }
    public int? Pid { get; init; }
    public int Port { get; init; }
    public int RestartCount { get; init; }
    public string Reason { get; init; } = "";
    public string Message { get; init; } = "";
    public int? LastExitCode { get; init; }
    public string LastReason { get; init; } = "";
    public DateTimeOffset? LastFinishedAt { get; init; }
    public DateTimeOffset CreateTime { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public double Cpu { get; init; }
    public long MemoryMb { get; init; }
    public int Gpu { get; init; }
    /// <summary>The resource group the instance was placed in ("" while it waits).</summary>
    public string ResourceGroup { get; init; } = "public";
    public bool Overflow { get; init; }
    public DateTimeOffset? PreemptAt { get; init; }
}
