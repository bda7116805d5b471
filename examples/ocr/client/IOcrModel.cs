namespace OpenEas.Examples.Ocr;

/// <summary>
/// One OCR model (detection or recognition) seen as a function from one float tensor to one float tensor.
/// Implemented in process (<see cref="OnnxOcrModel"/>) and by an OpenEAS service (<see cref="RemoteOcrModel"/>),
/// so the same pipeline runs with or without a server.
/// </summary>
internal interface IOcrModel : IDisposable
{
    Task<FloatTensor> RunAsync(FloatTensor input, CancellationToken ct = default);
}
