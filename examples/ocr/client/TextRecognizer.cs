using System.Numerics;
using SkiaSharp;

namespace OpenEas.Examples.Ocr;

/// <summary>
/// PP-OCR's text recognition around the SVTR model: crop each box upright, scale it to 48 pixels high, batch
/// lines of similar width, and decode the per-column character probabilities with CTC (greedy).
/// </summary>
internal static class TextRecognizer
{
    /// <summary>A box's upright crop size, and whether it is read turned a quarter (lines 1.5× taller than wide).</summary>
    public static (int Width, int Height, bool Turned) CropSize(Vector2[] box)
    {
        var width = (int)Math.Max(Vector2.Distance(box[0], box[1]), Vector2.Distance(box[2], box[3]));
        var height = (int)Math.Max(Vector2.Distance(box[0], box[3]), Vector2.Distance(box[1], box[2]));
        width = Math.Max(width, 1);
        height = Math.Max(height, 1);
        return height >= 1.5 * width ? (height, width, true) : (width, height, false);
    }

    /// <summary>The line image at the recognition height: the box cropped upright and scaled in one resampling.</summary>
    public static SKBitmap Line(SKImage image, Vector2[] box, int lineHeight, int maxWidth)
    {
        var (w, h, turned) = CropSize(box);
        var scaled = (int)Math.Min(Math.Ceiling(lineHeight * (double)w / h), maxWidth);
        // A quarter turn counter-clockwise: the top-right corner becomes the origin.
        return turned
            ? Images.Warp(image, box[1], box[2], box[0], scaled, lineHeight)
            : Images.Warp(image, box[0], box[1], box[3], scaled, lineHeight);
    }

    /// <summary>The width every line of a batch is padded to: the widest aspect ratio, at least <c>minWidth</c>.</summary>
    public static int BatchWidth(IEnumerable<Vector2[]> boxes, int lineHeight, int minWidth)
    {
        var ratio = (double)minWidth / lineHeight;
        foreach (var box in boxes)
        {
            var (w, h, _) = CropSize(box);
            ratio = Math.Max(ratio, (double)w / h);
        }

        return (int)(lineHeight * ratio);
    }

    /// <summary>The recognition input for a batch of boxes: [N, 3, 48, W], values scaled to [-1, 1].</summary>
    public static FloatTensor Preprocess(SKImage image, IReadOnlyList<Vector2[]> boxes, OcrOptions options)
    {
        var width = BatchWidth(boxes, options.RecHeight, options.RecMinWidth);
        var lines = new List<SKBitmap>(boxes.Count);
        try
        {
            foreach (var box in boxes)
            {
                lines.Add(Line(image, box, options.RecHeight, width));
            }

            return Images.ToTensor(lines, width, options.RecHeight, static (_, value) => value / 127.5f - 1f);
        }
        finally
        {
            foreach (var line in lines)
            {
                line.Dispose();
            }
        }
    }

    /// <summary>
    /// Greedy CTC decoding of [N, T, C] probabilities: the best class per column, repeats merged, blanks (class 0)
    /// dropped; the score is the mean probability of the characters kept (0 for an empty line).
    /// </summary>
    public static (string Text, float Score)[] Decode(FloatTensor probabilities, CharacterDictionary dictionary)
    {
        var (n, steps, classes) = (probabilities.Shape[0], probabilities.Shape[1], probabilities.Shape[2]);
        if (classes != dictionary.Count)
        {
            throw new OcrException($"the recognition model gives {classes} classes but the dictionary has {dictionary.Count} (blank + characters + space)");
        }

        var results = new (string, float)[n];
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < n; i++)
        {
            text.Clear();
            double sum = 0;
            var kept = 0;
            var previous = -1;
            for (var t = 0; t < steps; t++)
            {
                var row = probabilities.Data.AsSpan((i * steps + t) * classes, classes);
                var best = 0;
                for (var c = 1; c < classes; c++)
                {
                    if (row[c] > row[best])
                    {
                        best = c;
                    }
                }

                if (best != 0 && best != previous)
                {
                    text.Append(dictionary[best]);
                    sum += row[best];
                    kept++;
                }

                previous = best;
            }

            results[i] = (text.ToString(), kept == 0 ? 0f : (float)(sum / kept));
        }

        return results;
    }
}
