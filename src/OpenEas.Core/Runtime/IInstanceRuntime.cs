using OpenEas.Contracts;
using OpenEas.Core.Specs;

namespace OpenEas.Core.Runtime;

/// <summary>Everything a runtime needs to start one instance of one service version.</summary>
public sealed record InstanceLaunch
{
    public required string InstanceId { get; init; }
    public required string Service { get; init; }
    public required int Version { get; init; }
    public required ServiceSpec Spec { get; init; }
    /// <summary>The instance's own directory (working dir, mounts, logs).</summary>
    public required string Directory { get; init; }
    public required int Port { get; init; }
}

/// <summary>How an instance's process ended.</summary>
public sealed record ExitInfo(int? ExitCode, string Reason, string Message);

/// <summary>A started (or adopted) instance: its process, and a task that completes when it exits.</summary>
public interface IInstanceHandle
{
    int Pid { get; }

    /// <summary>Completes when the instance has exited (never faults).</summary>
    Task<ExitInfo> Exited { get; }

    /// <summary>Asks the whole instance (its process group) to stop: SIGTERM.</summary>
    void Terminate();

    /// <summary>Ends the whole instance at once: SIGKILL to its process group.</summary>
    void Kill();
}

/// <summary>
/// Starts and stops instances and finds those still running after a server restart. Deliberately dumb:
/// placement, restarts and rollouts are the reconciler's business.
/// </summary>
public interface IInstanceRuntime
{
    string Name { get; }

    /// <summary>What in a spec this runtime cannot run, each with its JSON path (empty = runnable).</summary>
    IReadOnlyList<SpecIssue> Validate(ServiceSpec spec);

    /// <summary>Starts the instance; throws <see cref="InstanceStartException"/> with a user-facing reason on failure.</summary>
    IInstanceHandle Start(InstanceLaunch launch);

    /// <summary>Re-attaches to an instance a previous server process started, if it is still alive and really ours.</summary>
    IInstanceHandle? TryAdopt(string instanceId, int pid);

    /// <summary>Kills every instance of this data dir whose id is not in <paramref name="known"/>; returns how many.</summary>
    int KillOrphans(IReadOnlySet<string> known);

    /// <summary>Path of an instance's current log file.</summary>
    string LogPath(string instanceDirectory);
}

/// <summary>An instance could not be started; the message is shown to the user as the instance's reason.</summary>
public sealed class InstanceStartException(string message, Exception? inner = null) : Exception(message, inner);
