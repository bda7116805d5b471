using System.CommandLine;
using OpenEas.Client;

namespace OpenEas.Cli.Commands;

/// <summary>Options several verbs share; each verb gets its own instances.</summary>
internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "print the result as indented JSON (EAS field names)" };

    public static Option<bool> Wait() => new("--wait") { Description = "poll until the service is Running (exit 0) or Failed (exit 1)" };

    public static Option<int> Timeout() => new("--timeout")
    {
        Description = "seconds --wait waits at most",
        DefaultValueFactory = _ => 300,
        HelpName = "seconds",
    };

    public static Argument<string> Service() => new("service") { Description = "service name" };

    /// <summary>Reads a spec file (or stdin for "-").</summary>
    public static async Task<string> ReadSpecAsync(CliContext ctx, string path, CancellationToken ct)
    {
        if (path == "-")
        {
            return await ctx.Io.In.ReadToEndAsync(ct);
        }

        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.Error, $"spec file not found: {path}");
        }

        var text = await File.ReadAllTextAsync(path, ct);
        return SpecFiles.ResolveLocalPaths(text, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
