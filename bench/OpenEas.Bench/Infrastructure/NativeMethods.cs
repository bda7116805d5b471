using System.Runtime.InteropServices;

namespace OpenEas.Bench.Infrastructure;

/// <summary>kill(2): .NET's Process.Kill only sends SIGKILL, and the server stops its instances only on SIGTERM.</summary>
internal static partial class NativeMethods
{
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    public static bool Terminate(int pid) => pid > 1 && KillNative(pid, SIGTERM) == 0;

    /// <summary>True while a process with this id exists (signal 0 only checks).</summary>
    public static bool Exists(int pid) => pid > 1 && (KillNative(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM */);
}
