namespace OpenEas.Examples.Ocr;

/// <summary>The pipeline's settings; the defaults are PP-OCRv4's own (PaddleOCR's <c>predict_system</c>).</summary>
internal sealed record OcrOptions
{
    /// <summary>The longer image side is scaled down to at most this before detection (then to multiples of 32).</summary>
    public int DetLimitSide { get; init; } = 960;

    /// <summary>A pixel is text when its probability exceeds this.</summary>
    public float DetThreshold { get; init; } = 0.3f;

    /// <summary>A region is kept when its mean probability reaches this.</summary>
    public float BoxThreshold { get; init; } = 0.6f;

    /// <summary>How far the shrunk text kernel is grown back (DB's unclip ratio).</summary>
    public float UnclipRatio { get; init; } = 1.5f;

    /// <summary>Regions with a shorter side below this (in probability-map pixels) are noise.</summary>
    public int MinSize { get; init; } = 3;

    public int MaxCandidates { get; init; } = 1000;

    /// <summary>Recognition input height: PP-OCRv4 reads 48-pixel lines.</summary>
    public int RecHeight { get; init; } = 48;

    /// <summary>The narrowest recognition batch (PP-OCR pads every batch to at least 320 pixels).</summary>
    public int RecMinWidth { get; init; } = 320;

    /// <summary>Lines recognised in one call; lines of similar width share a batch.</summary>
    public int RecBatchSize { get; init; } = 6;

    /// <summary>Lines read with a lower confidence are dropped.</summary>
    public float DropScore { get; init; } = 0.5f;
}
