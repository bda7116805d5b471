using System.Runtime.InteropServices;

namespace OpenEas.Core.Runtime;

/// <summary>The few libc calls .NET does not expose: signals to process groups.</summary>
internal static partial class NativeMethods
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    /// <summary>Sends a signal to a whole process group; false if no such group exists.</summary>
    public static bool SignalGroup(int pgid, int signal) => pgid > 1 && KillNative(-pgid, signal) == 0;

    public static bool SignalProcess(int pid, int signal) => pid > 1 && KillNative(pid, signal) == 0;
}
