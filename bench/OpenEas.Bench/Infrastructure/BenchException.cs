namespace OpenEas.Bench.Infrastructure;

/// <summary>The run cannot go on; the message says why, for the person who started it.</summary>
internal sealed class BenchException(string message, Exception? inner = null) : Exception(message, inner);
