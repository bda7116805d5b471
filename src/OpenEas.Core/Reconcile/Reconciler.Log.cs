using Microsoft.Extensions.Logging;

namespace OpenEas.Core.Reconcile;

internal static partial class ReconcilerLog
{
    [LoggerMessage(1, LogLevel.Information, "Adopted instance {Instance} (pid {Pid}) left running by an earlier server")]
    public static partial void Adopted(ILogger logger, string instance, int pid);

    [LoggerMessage(2, LogLevel.Warning, "Killed {Count} orphan process group(s) of this data dir")]
    public static partial void KilledOrphans(ILogger logger, int count);

    [LoggerMessage(3, LogLevel.Error, "Reconcile pass failed")]
    public static partial void PassFailed(ILogger logger, Exception ex);

    [LoggerMessage(4, LogLevel.Information, "Service {Service}: {Status} {Reason}")]
    public static partial void StatusChanged(ILogger logger, string service, string status, string reason);

    [LoggerMessage(6, LogLevel.Warning, "Reconcile pass took {Milliseconds:0} ms")]
    public static partial void SlowPass(ILogger logger, double milliseconds);

    [LoggerMessage(5, LogLevel.Warning, "Version {Version} of service {Service} cannot be read: {Error}")]
    public static partial void BadVersion(ILogger logger, string service, int version, string error);

    [LoggerMessage(7, LogLevel.Information, "Resource group {Group}: the capacity a preemption reclaimed is back")]
    public static partial void CapacityBack(ILogger logger, string group);
}
