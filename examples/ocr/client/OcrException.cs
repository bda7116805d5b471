namespace OpenEas.Examples.Ocr;

/// <summary>A failure the OCR client reports to its user as one line (missing model, service error, bad image).</summary>
internal sealed class OcrException : Exception
{
    public OcrException(string message)
        : base(message)
    {
    }

    public OcrException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public OcrException()
    {
    }
}
