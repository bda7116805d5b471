using System.Diagnostics;
using System.Globalization;
using OpenEas.Contracts;
using OpenEas.Core.Specs;

namespace OpenEas.Core.Runtime;

/// <summary>
/// The embedded runtime: each instance is a child process in its own session and process group
/// (<c>setsid</c>), started in its instance directory, writing stdout/stderr straight to its log file
/// so it outlives a crash of the server and can be adopted by the next one.
/// </summary>
public sealed class ProcessRuntime : IInstanceRuntime
{
    internal const string InstanceIdVariable = "EAS_INSTANCE_ID";
    internal const string DataDirVariable = "EAS_DATA_DIR";

    private readonly string _dataDir;
    private readonly TimeProvider _time;

    public ProcessRuntime(string dataDir, TimeProvider time)
    {
        _dataDir = Path.GetFullPath(dataDir);
        _time = time;
    }

    public string Name => "process";

    public IReadOnlyList<SpecIssue> Validate(ServiceSpec spec)
    {
        var issues = new List<SpecIssue>();
        if (spec.Main is { } main && main.Script is null && (main.Command is null || main.Command.Count == 0))
        {
            issues.Add(new SpecIssue("containers[0]",
                "the process runtime runs a program: give script or command (image-only deployments need the podman runtime)"));
        }

        if (spec.Main is null && spec.Processor is { } processor)
        {
            issues.AddRange(ProcessorLaunch.Validate(processor));
        }

        for (var i = 0; i < spec.Storage.Count; i++)
        {
            var s = spec.Storage[i];
            if (s.Kind is StorageKind.Nfs or StorageKind.Git or StorageKind.Dataset)
            {
                issues.Add(new SpecIssue($"storage[{i}]",
                    $"{s.Kind.ToString().ToLowerInvariant()} storage is not available in the process runtime (use oss, local or empty_dir)"));
            }

            if (s.Kind == StorageKind.LocalPath && (!Path.IsPathRooted(s.Source) || !Directory.Exists(s.Source)))
            {
                issues.Add(new SpecIssue($"storage[{i}].local.path",
                    Path.IsPathRooted(s.Source)
                        ? $"{s.Source} is not a directory on the server"
                        : $"must be an absolute path on the server (the eas CLI makes paths relative to the spec file absolute), got \"{s.Source}\""));
            }

            var relative = s.MountPath.Trim('/');
            var first = relative.Split('/')[0];
            if (relative.Length == 0 || relative.Split('/').Any(p => p is ".." or ".") || first is "logs" or ".empty")
            {
                issues.Add(new SpecIssue($"storage[{i}].mount_path",
                    $"\"{s.MountPath}\" cannot be mounted in the process runtime: it must name a directory below the instance directory, not /, '..', /logs or /.empty"));
            }
        }

        return issues;
    }

    public string LogPath(string instanceDirectory) => Path.Combine(instanceDirectory, "logs", "stdout.log");

    public IInstanceHandle Start(InstanceLaunch launch)
    {
        var main = launch.Spec.Main
            ?? (launch.Spec.Processor is not null ? new ContainerSpec { Command = ProcessorLaunch.Command(launch, _dataDir) } : null)
            ?? throw new InstanceStartException("the spec has no program to run (containers[0])");
        var dir = launch.Directory;
        var logPath = LogPath(dir);
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "logs"));
            MountStorage(launch.Spec, dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InstanceStartException($"preparing the instance directory failed: {ex.Message}", ex);
        }

        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = dir,
        };

        // The wrapper redirects the program's output to its log file before exec'ing it, so the
        // program never writes into a pipe of the server's (it must survive the server dying).
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec >>\"$EAS_LOG_FILE\" 2>&1 </dev/null; exec \"$@\"");
        psi.ArgumentList.Add("eas-instance");
        if (main.Script is { } script)
        {
            psi.ArgumentList.Add("/bin/sh");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
        }
        else
        {
            foreach (var arg in main.Command!)
            {
                psi.ArgumentList.Add(arg);
            }
        }

        // The server's own settings (EAS_ADMIN_TOKEN above all) are not the instance's business.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("EAS_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        psi.Environment.Remove("PYTHONUNBUFFERED");
        psi.Environment["PYTHONUNBUFFERED"] = "1";
        foreach (var (key, value) in main.Env)
        {
            psi.Environment[key] = value;
        }

        psi.Environment["PORT"] = launch.Port.ToString(CultureInfo.InvariantCulture);
        psi.Environment["EAS_LOG_FILE"] = logPath;
        psi.Environment[InstanceIdVariable] = launch.InstanceId;
        psi.Environment[DataDirVariable] = _dataDir;
        psi.Environment["EAS_SERVICE_NAME"] = launch.Service;
        psi.Environment["EAS_SERVICE_VERSION"] = launch.Version.ToString(CultureInfo.InvariantCulture);
        psi.Environment["EAS_MOUNT_ROOT"] = dir;

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InstanceStartException("the program could not be started");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InstanceStartException($"the program could not be started: {ex.Message}", ex);
        }

        return new ChildHandle(process);
    }

    public IInstanceHandle? TryAdopt(string instanceId, int pid)
    {
        if (!IsOurs(pid, out var id) || id != instanceId)
        {
            return null;
        }

        return new AdoptedHandle(pid, _time);
    }

    public int KillOrphans(IReadOnlySet<string> known)
    {
        var killed = 0;
        foreach (var pid in EnumeratePids())
        {
            if (IsOurs(pid, out var id) && !known.Contains(id))
            {
                // Only the group leader (pid == pgid, thanks to setsid) is signalled as a group.
                if (NativeMethods.SignalGroup(pid, NativeMethods.SIGKILL) || NativeMethods.SignalProcess(pid, NativeMethods.SIGKILL))
                {
                    killed++;
                }
            }
        }

        return killed;
    }

    private static IEnumerable<int> EnumeratePids()
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId)
            {
                yield return pid;
            }
        }
    }

    /// <summary>True when the process carries this data dir's marker; <paramref name="instanceId"/> is its instance.</summary>
    private bool IsOurs(int pid, out string instanceId)
    {
        instanceId = "";
        string environ;
        try
        {
            environ = File.ReadAllText($"/proc/{pid}/environ");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        string? id = null;
        var ours = false;
        foreach (var entry in environ.Split('\0'))
        {
            if (entry.StartsWith(InstanceIdVariable + "=", StringComparison.Ordinal))
            {
                id = entry[(InstanceIdVariable.Length + 1)..];
            }
            else if (entry == DataDirVariable + "=" + _dataDir)
            {
                ours = true;
            }
        }

        if (!ours || id is null)
        {
            return false;
        }

        // Zombies and exited processes no longer count.
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            if (state is "Z" or "X")
            {
                return false;
            }
        }
        catch (IOException)
        {
            return false;
        }

        instanceId = id;
        return true;
    }

    /// <summary>Makes each storage entry visible inside the instance directory at its mount path (a symlink).</summary>
    private void MountStorage(ServiceSpec spec, string dir)
    {
        for (var i = 0; i < spec.Storage.Count; i++)
        {
            var s = spec.Storage[i];
            var source = s.Kind switch
            {
                StorageKind.Oss => OssPath(s.Source),
                StorageKind.LocalPath when Directory.Exists(s.Source) => s.Source,
                StorageKind.LocalPath => throw new InstanceStartException($"storage[{i}].local.path: {s.Source} is not a directory"),
                StorageKind.EmptyDir => Path.Combine(dir, ".empty", i.ToString(CultureInfo.InvariantCulture)),
                _ => throw new InstanceStartException($"storage[{i}]: {s.Kind} storage is not available in the process runtime"),
            };
            Directory.CreateDirectory(source);
            var link = Path.Combine(dir, s.MountPath.TrimStart('/'));
            var parent = Path.GetDirectoryName(link);
            if (parent is not null)
            {
                Directory.CreateDirectory(parent);
            }

            if (Directory.Exists(link) || File.Exists(link))
            {
                var info = new FileInfo(link);
                if (info.LinkTarget is not null)
                {
                    File.Delete(link);
                }
                else
                {
                    continue;
                }
            }

            Directory.CreateSymbolicLink(link, Path.GetFullPath(source));
        }
    }

    /// <summary><c>oss://bucket/key/</c> → <c>{data}/oss/bucket/key/</c>.</summary>
    public string OssPath(string uri)
    {
        var rest = uri["oss://".Length..].TrimEnd('/');
        if (rest.Split('/').Any(p => p == ".."))
        {
            throw new InstanceStartException($"{uri}: '..' is not allowed in an oss path");
        }

        return Path.Combine(_dataDir, "oss", rest);
    }

    private static ExitInfo Describe(int code)
    {
        if (code == 0)
        {
            return new ExitInfo(0, "Completed", "exited with code 0");
        }

        if (code > 128 && code < 160)
        {
            var signal = code - 128;
            return new ExitInfo(code, signal == NativeMethods.SIGKILL ? "Killed" : "Error", $"killed by signal {signal}");
        }

        return new ExitInfo(code, "Error", $"exited with code {code}");
    }

    /// <summary>A child this server started: its exit is observed directly.</summary>
    private sealed class ChildHandle : IInstanceHandle
    {
        private readonly Process _process;

        public ChildHandle(Process process)
        {
            _process = process;
            Pid = process.Id;
            Exited = WaitAsync(process);
        }

        public int Pid { get; }

        public Task<ExitInfo> Exited { get; }

        public void Terminate() => NativeMethods.SignalGroup(Pid, NativeMethods.SIGTERM);

        public void Kill() => NativeMethods.SignalGroup(Pid, NativeMethods.SIGKILL);

        private async Task<ExitInfo> WaitAsync(Process process)
        {
            try
            {
                await process.WaitForExitAsync().ConfigureAwait(false);
                var info = Describe(process.ExitCode);
                // Whatever the program left behind in its group goes with it.
                NativeMethods.SignalGroup(Pid, NativeMethods.SIGKILL);
                return info;
            }
            catch (Exception ex)
            {
                return new ExitInfo(null, "Error", ex.Message);
            }
            finally
            {
                process.Dispose();
            }
        }
    }

    /// <summary>An instance started by an earlier server process: not our child, so its exit is polled.</summary>
    private sealed class AdoptedHandle : IInstanceHandle
    {
        private readonly TimeProvider _time;

        public AdoptedHandle(int pid, TimeProvider time)
        {
            Pid = pid;
            _time = time;
            Exited = PollAsync();
        }

        public int Pid { get; }

        public Task<ExitInfo> Exited { get; }

        public void Terminate() => NativeMethods.SignalGroup(Pid, NativeMethods.SIGTERM);

        public void Kill() => NativeMethods.SignalGroup(Pid, NativeMethods.SIGKILL);

        private async Task<ExitInfo> PollAsync()
        {
            while (Alive())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), _time).ConfigureAwait(false);
            }

            NativeMethods.SignalGroup(Pid, NativeMethods.SIGKILL);
            return new ExitInfo(null, "Error", "exited (exit code unknown: started by an earlier server process)");
        }

        private bool Alive()
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{Pid}/stat");
                var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
                return state is not ("Z" or "X");
            }
            catch (IOException)
            {
                return false;
            }
        }
    }
}
