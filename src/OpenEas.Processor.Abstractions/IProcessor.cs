namespace OpenEas.Processor.Abstractions;

/// <summary>
/// A custom processor: OpenEAS loads the assembly named by <c>processor_path</c>, creates the type named by
/// <c>processor_entry</c> (a public class with a public parameterless constructor), calls
/// <see cref="Initialize"/> once before the instance reports Ready, then <see cref="Process"/> for each request body.
/// Calls may come from several threads at once (one per worker); keep per-call state local.
/// </summary>
public interface IProcessor
{
    /// <summary>Loads the model or whatever else the processor needs; an exception stops the instance with its message.</summary>
    void Initialize(ProcessorContext context);

    /// <summary>Answers one request body with the response body.</summary>
    byte[] Process(ReadOnlyMemory<byte> request);
}

/// <summary>
/// A processor that can answer several requests in one call (dynamic batching, <c>metadata.rpc.batching</c>):
/// OpenEAS groups requests that arrive close together and hands them over at once.
/// </summary>
public interface IBatchProcessor : IProcessor
{
    /// <summary>Answers each request, in order: the result has one response per request.</summary>
    IReadOnlyList<byte[]> ProcessBatch(IReadOnlyList<ReadOnlyMemory<byte>> requests);
}

/// <summary>What a processor is told when it starts.</summary>
public sealed class ProcessorContext
{
    /// <summary>The service name.</summary>
    public required string ServiceName { get; init; }

    /// <summary>The local file or directory <c>model_path</c> resolved to (downloaded into the model cache if remote); null when not given.</summary>
    public string? ModelPath { get; init; }

    /// <summary><c>model_config</c> as JSON text (or the plain string given); null when not given.</summary>
    public string? ModelConfig { get; init; }

    /// <summary>Cores the instance was given (<c>metadata.cpu</c>, at least 1).</summary>
    public int Cores { get; init; } = 1;
}

/// <summary>Thrown by a processor for a bad request: the caller gets a 400 with this message.</summary>
public sealed class ProcessorInputException : Exception
{
    public ProcessorInputException()
    {
    }

    public ProcessorInputException(string message)
        : base(message)
    {
    }

    public ProcessorInputException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
