using System.Diagnostics;
using System.Numerics;
using SkiaSharp;

namespace OpenEas.Examples.Ocr;

/// <summary>One recognised line: its text, the recogniser's confidence, and its box (four corners, clockwise from top-left).</summary>
internal sealed record OcrLine(string Text, float Score, Vector2[] Box);

/// <summary>The lines read from one image, top to bottom, and the time each stage took (models and the work around them).</summary>
internal sealed record OcrResult(int Width, int Height, IReadOnlyList<OcrLine> Lines)
{
    public TimeSpan Detection { get; init; }

    public TimeSpan Recognition { get; init; }

    public string Text => string.Join('\n', Lines.Select(static l => l.Text));
}

/// <summary>
/// The OCR pipeline: detection model → text boxes → upright line crops → recognition model → CTC text. The two
/// models are anything behind <see cref="IOcrModel"/>: OpenEAS services or in-process sessions.
/// </summary>
internal sealed class OcrPipeline(IOcrModel detector, IOcrModel recognizer, CharacterDictionary dictionary, OcrOptions? options = null)
{
    private readonly OcrOptions _options = options ?? new OcrOptions();

    public async Task<OcrResult> ReadAsync(byte[] encodedImage, CancellationToken ct = default)
    {
        using var image = Images.Decode(encodedImage);
        return await ReadAsync(image, ct).ConfigureAwait(false);
    }

    public async Task<OcrResult> ReadAsync(SKBitmap image, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        var probability = await detector.RunAsync(TextDetector.Preprocess(image, _options), ct).ConfigureAwait(false);
        var boxes = TextDetector.Boxes(probability, image.Width, image.Height, _options);
        var detection = Stopwatch.GetElapsedTime(started);
        if (boxes.Count == 0)
        {
            return new OcrResult(image.Width, image.Height, []) { Detection = detection };
        }

        started = Stopwatch.GetTimestamp();
        // Lines of similar aspect ratio share a batch, so little of each batch is padding.
        var order = Enumerable.Range(0, boxes.Count).OrderBy(i => AspectRatio(boxes[i])).ToArray();
        using var source = SKImage.FromBitmap(image);
        var batches = order.Chunk(_options.RecBatchSize).Select(async batch =>
        {
            var input = TextRecognizer.Preprocess(source, [.. batch.Select(i => boxes[i])], _options);
            var output = await recognizer.RunAsync(input, ct).ConfigureAwait(false);
            return (batch, TextRecognizer.Decode(output, dictionary));
        }).ToList();

        var read = new (string Text, float Score)[boxes.Count];
        foreach (var (batch, lines) in await Task.WhenAll(batches).ConfigureAwait(false))
        {
            for (var k = 0; k < batch.Length; k++)
            {
                read[batch[k]] = lines[k];
            }
        }

        var result = new List<OcrLine>(boxes.Count);
        for (var i = 0; i < boxes.Count; i++)
        {
            if (read[i].Score >= _options.DropScore && read[i].Text.Length > 0)
            {
                result.Add(new OcrLine(read[i].Text, read[i].Score, boxes[i]));
            }
        }

        return new OcrResult(image.Width, image.Height, result) { Detection = detection, Recognition = Stopwatch.GetElapsedTime(started) };
    }

    private static double AspectRatio(Vector2[] box)
    {
        var (w, h, _) = TextRecognizer.CropSize(box);
        return (double)w / h;
    }
}
