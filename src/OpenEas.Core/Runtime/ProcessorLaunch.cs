using System.Globalization;
using OpenEas.Contracts;
using OpenEas.Core.Specs;

namespace OpenEas.Core.Runtime;

/// <summary>
/// How a processor spec (<c>processor</c>/<c>processor_path</c>, <c>model_path</c>, <c>metadata.rpc.*</c>) becomes an
/// instance: the same <c>eas</c> the server runs, started as <c>eas processor onnx|custom …</c> on the instance's port.
/// </summary>
public static class ProcessorLaunch
{
    /// <summary>The built-in processors.</summary>
    public static readonly IReadOnlyList<string> BuiltIn = ["onnx"];

    /// <summary>The program that runs <c>eas</c>: <c>dotnet {dir}/eas.dll</c> next to this server (set by tests and packagers otherwise).</summary>
    public static IReadOnlyList<string> Host { get; set; } = DefaultHost();

    private static string[] DefaultHost()
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
            : Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return [dotnet, Path.Combine(AppContext.BaseDirectory, "eas.dll")];
    }

    public static IEnumerable<SpecIssue> Validate(ProcessorSpec p)
    {
        if (p.Name is { } name && !BuiltIn.Contains(name))
        {
            yield return new SpecIssue("processor", $"\"{name}\" is not a built-in processor (available: {string.Join(", ", BuiltIn)}); for your own code give processor_path and processor_entry");
        }

        if (p.Path is not null && p.Type is not (null or "csharp"))
        {
            yield return new SpecIssue("processor_type", $"the process runtime runs C# processors (csharp, an IProcessor in a built assembly), got \"{p.Type}\"");
        }

        if (p.Path is { } assembly && (assembly.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || assembly.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            yield return new SpecIssue("processor_path", "must be a built assembly on this machine: an absolute path, file:// or oss://bucket/key (not a URL)");
        }

        foreach (var (field, value) in new[] { ("model_path", p.ModelPath), ("processor_path", p.Path), ("warm_up_data_path", p.WarmUpDataPath) })
        {
            if (value is not null && !IsSource(value))
            {
                yield return new SpecIssue(field, $"must be an absolute path, file://, oss://bucket/key or http(s):// URL, got \"{value}\"");
            }
        }
    }

    private static bool IsSource(string value) =>
        Path.IsPathRooted(value) || value.StartsWith("file://", StringComparison.OrdinalIgnoreCase)
        || value.StartsWith("oss://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The command line that serves <paramref name="launch"/>'s processor on its port.</summary>
    public static List<string> Command(InstanceLaunch launch, string dataDir)
    {
        var spec = launch.Spec;
        var p = spec.Processor!;
        var rpc = spec.Metadata.Rpc;
        var inv = CultureInfo.InvariantCulture;
        var args = new List<string>(Host) { "processor", p.Path is not null ? "custom" : p.Name ?? "onnx" };
        if (p.Path is { } path)
        {
            args.AddRange(["--path", LocalPath(path, dataDir), "--entry", p.Entry ?? ""]);
        }

        if (p.ModelPath is { } model)
        {
            args.AddRange(["--model", model]);
        }

        if (p.WarmUpDataPath is { } warm)
        {
            args.AddRange(["--warm-up", warm]);
        }

        if (p.ModelConfig is { } config)
        {
            args.AddRange(["--model-config", config]);
        }

        args.AddRange([
            "--port", launch.Port.ToString(inv),
            "--name", launch.Service,
            "--data", dataDir,
            "--cpu", Math.Max(1, (int)Math.Ceiling(spec.Metadata.Cpu)).ToString(inv),
            "--batching", rpc.BatchingAuto ? "auto" : rpc.Batching ? "on" : "off",
            "--max-batch-size", rpc.MaxBatchSize.ToString(inv),
            "--max-batch-timeout", rpc.MaxBatchTimeoutMs.ToString(inv),
            "--max-queue-size", rpc.MaxQueueSize.ToString(inv),
            "--timeout", rpc.KeepaliveMs.ToString(inv),
        ]);
        return args;
    }

    /// <summary>A processor assembly must be a local file: <c>oss://</c> maps into the data dir, <c>file://</c> drops its scheme.</summary>
    private static string LocalPath(string source, string dataDir) =>
        source.StartsWith("oss://", StringComparison.OrdinalIgnoreCase) ? Path.Combine(dataDir, "oss", source["oss://".Length..])
        : source.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? Uri.UnescapeDataString(source["file://".Length..])
        : source;
}
