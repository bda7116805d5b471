using System.Diagnostics;

namespace OpenEas.Bench.Infrastructure;

/// <summary>Finds the checkout the runner belongs to, and facts about it for the results file.</summary>
internal static class RepoPaths
{
    /// <summary>The directory holding OpenEas.slnx: searched up from the working directory, then from the binary.</summary>
    public static string FindRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "OpenEas.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new BenchException("cannot find the OpenEAS checkout (no OpenEas.slnx above the working directory or the runner)");
    }

    /// <summary>`git rev-parse --short HEAD`, with "+dirty" when tracked files differ from it.</summary>
    public static string GitCommit(string root)
    {
        var head = Run(root, "git", "rev-parse", "--short", "HEAD")?.Trim();
        if (string.IsNullOrEmpty(head))
        {
            return "unknown";
        }

        var status = Run(root, "git", "status", "--porcelain", "--untracked-files=no");
        return string.IsNullOrWhiteSpace(status) ? head : head + "+dirty";
    }

    /// <summary>Whether <paramref name="tool"/> is on the PATH.</summary>
    public static bool HasCommand(string root, string tool) => Run(root, "sh", "-c", $"command -v {tool}") is not null;

    /// <summary>Runs a short command and returns its stdout, or null when it failed.</summary>
    public static string? Run(string dir, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = dir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                p.Kill(entireProcessTree: true);
                return null;
            }

            return p.ExitCode == 0 ? stdout.Result : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
