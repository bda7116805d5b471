using System.Reflection;
using System.Runtime.Loader;
using OpenEas.Processor.Abstractions;
using OpenEas.Processor.Batching;

namespace OpenEas.Processor.Custom;

/// <summary>Runs a user's <see cref="IProcessor"/>: one request per call, or a whole batch when it is an <see cref="IBatchProcessor"/>.</summary>
public sealed class CustomProcessorWork(IProcessor processor) : IBatchWork<ReadOnlyMemory<byte>, byte[]>
{
    public IProcessor Processor { get; } = processor;

    public bool CanBatch => Processor is IBatchProcessor;

    public int Rows(ReadOnlyMemory<byte> item) => 1;

    public bool Compatible(ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> other) => CanBatch;

    public byte[][] Run(int worker, IReadOnlyList<ReadOnlyMemory<byte>> batch)
    {
        if (batch.Count == 1)
        {
            return [Processor.Process(batch[0])];
        }

        var results = ((IBatchProcessor)Processor).ProcessBatch(batch);
        if (results.Count != batch.Count)
        {
            throw new InvalidOperationException($"{Processor.GetType().FullName}.ProcessBatch returned {results.Count} responses for {batch.Count} requests");
        }

        return [.. results];
    }

    /// <summary>Loads <paramref name="type"/> from the assembly at <paramref name="path"/> (its dependencies from the same folder).</summary>
    public static IProcessor Load(string path, string type)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new InvalidOperationException($"processor_path {path} is a directory; name the built assembly (.dll)");
        }

        var context = new ProcessorLoadContext(full);
        Assembly assembly;
        try
        {
            assembly = context.LoadFromAssemblyPath(full);
        }
        catch (BadImageFormatException ex)
        {
            throw new InvalidOperationException($"processor_path {path} is not a .NET assembly: {ex.Message}", ex);
        }

        var t = assembly.GetType(type, throwOnError: false)
            ?? throw new InvalidOperationException($"processor_entry: type {type} is not in {Path.GetFileName(full)}");
        if (!typeof(IProcessor).IsAssignableFrom(t))
        {
            throw new InvalidOperationException($"processor_entry: {type} does not implement {typeof(IProcessor).FullName}");
        }

        return (IProcessor)(Activator.CreateInstance(t)
            ?? throw new InvalidOperationException($"processor_entry: {type} could not be created"));
    }

    /// <summary>Resolves the processor's own dependencies next to it; the abstractions come from the host so the interface is shared.</summary>
    private sealed class ProcessorLoadContext(string path) : AssemblyLoadContext(Path.GetFileNameWithoutExtension(path))
    {
        private readonly AssemblyDependencyResolver _resolver = new(path);

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (assemblyName.Name == typeof(IProcessor).Assembly.GetName().Name)
            {
                return null;
            }

            return _resolver.ResolveAssemblyToPath(assemblyName) is { } p ? LoadFromAssemblyPath(p) : null;
        }
    }
}
